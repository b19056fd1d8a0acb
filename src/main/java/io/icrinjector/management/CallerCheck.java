package io.icrinjector.management;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.UserInfo;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.icrinjector.config.IcrConfig;
import io.icrinjector.kube.Clients;
import io.icrinjector.kube.KubeErrors;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Decides whether a bearer token may {@code get} a path of the management port, the way kube-rbac-proxy and
 * controller-runtime's metrics filter do: a TokenReview says who the caller is, a SubjectAccessReview with the path
 * as a nonResourceURL says whether they may. Decisions are cached (Caffeine, bounded, allowed and denied with their own
 * lifetimes) under a SHA-256 of the token, so a scrape costs no API call most of the time and no token is kept.
 * The API calls run on two threads of their own with a short queue, never on an I/O thread nor on the worker
 * pool that health needs; a failed call is not cached, so the next request asks again.
 */
@ApplicationScoped
public class CallerCheck {

  /** A decision: HTTP status (200, 401, 403, or 503 when the API server could not say) and why. */
  public record Verdict(int status, String message) {}

  private record Key(String tokenHash, String path) {}

  private final KubernetesClient client;
  private final ThreadPoolExecutor pool;
  private final AsyncCache<Key, Verdict> cache;

  /** CDI constructor. */
  public CallerCheck(KubernetesClient client, IcrConfig config) {
    IcrConfig.ManagementPort settings = config.management();
    // One request is one attempt (fabric8 would retry a refused connection for ~20 s): a scrape
    // waits at most the
    // timeout, then gets 503 with the cause.
    this.client = Clients.oneAttempt(client, settings.requestTimeout());
    AtomicInteger n = new AtomicInteger();
    this.pool =
        new ThreadPoolExecutor(
            2,
            2,
            0,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(64),
            r -> {
              Thread t = new Thread(r, "icr-management-auth-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.cache =
        Caffeine.newBuilder()
            .maximumSize(settings.cacheSize())
            .executor(pool)
            .expireAfter(lifetimes(settings.cacheAllowed(), settings.cacheDenied()))
            .buildAsync();
  }

  /** The decision for {@code token} on {@code path}; completes on a thread of this check's pool (or at once). */
  public CompletableFuture<Verdict> check(String token, String path) {
    return cache.get(
        new Key(sha256(token), path),
        (key, executor) -> CompletableFuture.supplyAsync(() -> decide(token, path), executor));
  }

  private Verdict decide(String token, String path) {
    TokenReview review;
    SubjectAccessReview access;
    try {
      review =
          client
              .authentication()
              .v1()
              .tokenReviews()
              .create(new TokenReviewBuilder().withNewSpec().withToken(token).endSpec().build());
      if (review.getStatus() == null
          || !Boolean.TRUE.equals(review.getStatus().getAuthenticated())) {
        String error = review.getStatus() == null ? null : review.getStatus().getError();
        return new Verdict(
            401,
            "the bearer token is not valid: "
                + (error == null || error.isBlank()
                    ? "Kubernetes did not authenticate it"
                    : error));
      }
      UserInfo user = review.getStatus().getUser();
      access =
          client
              .authorization()
              .v1()
              .subjectAccessReview()
              .create(
                  new SubjectAccessReviewBuilder()
                      .withNewSpec()
                      .withUser(user.getUsername())
                      .withGroups(user.getGroups())
                      .withUid(user.getUid())
                      .withExtra(user.getExtra())
                      .withNewNonResourceAttributes()
                      .withPath(path)
                      .withVerb("get")
                      .endNonResourceAttributes()
                      .endSpec()
                      .build());
      if (access.getStatus() != null && Boolean.TRUE.equals(access.getStatus().getAllowed())) {
        return new Verdict(200, "allowed");
      }
      String reason = access.getStatus() == null ? null : access.getStatus().getReason();
      return new Verdict(
          403,
          user.getUsername()
              + " may not get "
              + path
              + ": it needs `get` on nonResourceURL "
              + path
              + " (bind ClusterRole "
              + roleFor(path)
              + ")"
              + (reason == null || reason.isBlank() ? "" : "; API server: " + reason));
    } catch (KubernetesClientException e) {
      String fix =
          e.getCode() == 403
              ? " (the webhook's ServiceAccount needs create on tokenreviews and subjectaccessreviews: ClusterRoleBinding icr-injector-auth-delegator)"
              : "";
      throw new CannotCheck(
          "cannot check the caller with the Kubernetes API at "
              + client.getMasterUrl()
              + ": "
              + KubeErrors.describe(e)
              + fix);
    }
  }

  /** The ClusterRole of deploy/base/management-rbac.yaml that grants {@code path}. */
  static String roleFor(String path) {
    return path.equals("/report") ? "icr-injector-report-reader" : "icr-injector-metrics-reader";
  }

  /** The API server could not be asked, or answered with an error; the caller gets 503. */
  public static final class CannotCheck extends RuntimeException {
    CannotCheck(String message) {
      super(message, null, false, false);
    }
  }

  private static Expiry<Key, Verdict> lifetimes(Duration allowed, Duration denied) {
    return new Expiry<>() {
      @Override
      public long expireAfterCreate(Key key, Verdict verdict, long now) {
        return (verdict.status() == 200 ? allowed : denied).toNanos();
      }

      @Override
      public long expireAfterUpdate(Key key, Verdict verdict, long now, long current) {
        return expireAfterCreate(key, verdict, now);
      }

      @Override
      public long expireAfterRead(Key key, Verdict verdict, long now, long current) {
        return current; // a decision lives its lifetime from when it was made, however often it is
        // read
      }
    };
  }

  private static String sha256(String token) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e); // every JVM has SHA-256
    }
  }

  @PreDestroy
  void stop() {
    pool.shutdownNow();
  }
}
