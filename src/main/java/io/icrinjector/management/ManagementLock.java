package io.icrinjector.management;

import io.icrinjector.config.IcrConfig;
import io.icrinjector.handler.AdmissionAnswer;
import io.quarkus.vertx.http.ManagementInterface;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import org.jboss.logging.Logger;

/**
 * The lock on the management port ({@code icr.management.auth=enabled}): every path but {@code /q/health} and
 * below ({@code /q/metrics}, {@code /report}) answers only a caller whose bearer token {@link CallerCheck} allows:
 * 401 without a valid token, 403 without the right, 503 when the API server cannot be asked. Health stays open
 * because the kubelet's probes carry no token.
 */
@ApplicationScoped
public class ManagementLock {

  private static final Logger LOG = Logger.getLogger(ManagementLock.class);

  void register(
      @Observes ManagementInterface management, IcrConfig config, Instance<CallerCheck> check) {
    if (config.management().auth() == IcrConfig.Switch.DISABLED) {
      LOG.info(
          "management port unlocked (icr.management.auth=disabled): /report and /q/metrics answer anyone who reaches port "
              + "9000; the Deployment of deploy/ sets ICR_MANAGEMENT_AUTH=enabled");
      return;
    }
    CallerCheck callers = check.get();
    // Before every route Quarkus or ReportRoute adds to this router.
    management.router().route().order(Integer.MIN_VALUE + 1).handler(ctx -> guard(ctx, callers));
  }

  /** Paths the kubelet probes; they say nothing about the cluster. */
  static boolean open(String path) {
    return path.equals("/q/health") || path.startsWith("/q/health/");
  }

  private static void guard(RoutingContext ctx, CallerCheck callers) {
    String path = ctx.normalizedPath();
    if (open(path)) {
      ctx.next();
      return;
    }
    String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
    String token =
        header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
            ? header.substring(7).strip()
            : "";
    if (token.isEmpty()) {
      answer(
          ctx,
          401,
          "no bearer token: "
              + path
              + " answers only callers that Kubernetes authenticates; send "
              + "\"Authorization: Bearer <token>\" with a ServiceAccount token (kubectl create token <name>)");
      return;
    }
    Context context = Vertx.currentContext();
    callers
        .check(token, path)
        .whenComplete(
            (verdict, failure) -> {
              if (Vertx.currentContext() == context) {
                decide(ctx, verdict, failure); // a cached decision: no hop
              } else {
                context.runOnContext(v -> decide(ctx, verdict, failure));
              }
            });
  }

  private static void decide(RoutingContext ctx, CallerCheck.Verdict verdict, Throwable failure) {
    if (failure != null) {
      Throwable cause =
          failure instanceof CompletionException && failure.getCause() != null
              ? failure.getCause()
              : failure;
      String message =
          cause instanceof RejectedExecutionException
              ? "too many caller checks in flight; retry shortly"
              : cause instanceof CallerCheck.CannotCheck
                  ? cause.getMessage()
                  : "cannot check the caller: " + cause;
      LOG.warnf("management port: %s", message);
      ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "5");
      answer(ctx, 503, message);
    } else if (verdict.status() == 200) {
      ctx.next();
    } else {
      answer(ctx, verdict.status(), verdict.message());
    }
  }

  private static void answer(RoutingContext ctx, int status, String message) {
    if (status == 401) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"icr-injector\"");
    }
    send(ctx, AdmissionAnswer.error(status, message));
  }

  /** Sends an answer built by {@link AdmissionAnswer}; the management port's routes answer errors with it. */
  static void send(RoutingContext ctx, AdmissionAnswer answer) {
    ctx.response()
        .setStatusCode(answer.status())
        .putHeader(HttpHeaders.CONTENT_TYPE, answer.contentType())
        .end(Buffer.buffer(answer.body()));
  }
}
