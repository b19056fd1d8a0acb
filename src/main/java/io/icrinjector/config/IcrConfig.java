package io.icrinjector.config;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * All of icr-injector's settings, under the {@code icr.} prefix (environment: {@code ICR_...}).
 *
 * <p>Lists are comma-separated so that each setting is one environment variable in a Deployment
 * ({@code ICR_REWRITES}, {@code ICR_PULL_SECRET_RULES}); they are parsed and validated once at start-up by
 * {@link io.icrinjector.engine.RewriteRules}, which refuses to start on a bad entry rather than guess.
 */
@ConfigMapping(prefix = "icr")
public interface IcrConfig {

  /** {@code enforce} patches pods on {@code /mutate}; {@code audit} turns {@code /mutate} into {@code /audit}. */
  @WithDefault("enforce")
  Mode mode();

  /** Deprecated host to replacement host, as {@code old=new}. Hosts match exactly, case-insensitively. */
  @WithDefault(
      "registry.bluemix.net=icr.io,"
          + "registry.ng.bluemix.net=us.icr.io,"
          + "registry.eu-gb.bluemix.net=uk.icr.io,"
          + "registry.eu-de.bluemix.net=de.icr.io,"
          + "registry.au-syd.bluemix.net=au.icr.io")
  List<String> rewrites();

  /**
   * Pull-secret rules as {@code host[/repository-prefix]=secret}. A {@code *} in the host stands for exactly
   * one DNS label. Every rule that matches a final image attaches its secret once.
   */
  @WithName("pull-secret-rules")
  @WithDefault("icr.io=all-icr-io,*.icr.io=all-icr-io,private.*.icr.io=all-icr-io")
  List<String> pullSecretRules();

  /** Namespace that holds the source of every pull secret that gets copied. */
  @WithDefault("default")
  String sourceNamespace();

  /** The webhook's own namespace (set from the downward API); copies are never written there. */
  Optional<String> webhookNamespace();

  /**
   * Most review bytes the webhook reads and answers at once; a review that would pass it gets 503 with
   * {@code Retry-After} before its body is read. With the default, three reviews of the 7 MiB body limit (or
   * thousands of typical ones) are in flight at once, and the heap stays within {@code -Xmx128m} (README,
   * "Hostile input"). A body without Content-Length counts as the body limit.
   */
  @WithDefault("24M")
  MemorySize maxBytesInFlight();

  /**
   * Name of the app's own MutatingWebhookConfiguration, read once after start to check that its
   * {@code matchConditions} let through every host the rules name ({@link MatchConditionsCheck}).
   */
  @WithDefault("icr-injector")
  String webhookConfigurationName();

  /** Secret copy behaviour. */
  SecretCopy secretCopy();

  /** Who may read the management port ({@code /report}, {@code /q/metrics}); health stays open. */
  ManagementPort management();

  /** The migration burn-down gauge ({@code icr_injector_deprecated_images}). */
  Report report();

  /** How {@code /mutate} behaves. */
  enum Mode {
    /** Rewrite images, attach and copy pull secrets. */
    ENFORCE,
    /** Report only, as {@code /audit} does. */
    AUDIT
  }

  /** Settings of the secret replicator. */
  interface SecretCopy {
    /** Defaults that the replicator's own settings (secrets.CopySettings, for tests) take too: written once, here. */
    String REQUEST_TIMEOUT = "2s";

    /** See {@link #REQUEST_TIMEOUT}. */
    String MAX_PENDING = "500";

    /** See {@link #REQUEST_TIMEOUT}. */
    String MAX_CONCURRENT = "4";

    /** See {@link #REQUEST_TIMEOUT}. */
    String WRITES_PER_SECOND = "20";

    /** See {@link #REQUEST_TIMEOUT}. */
    String WRITE_BURST = "50";

    /** Whether the webhook copies secrets at all (off: it only attaches them). */
    @WithDefault("true")
    boolean enabled();

    /** How long an admission may wait for a first, synchronous copy before answering with a warning. */
    @WithDefault("2s")
    Duration budget();

    /** First delay of the background retry; it doubles up to {@link #maxBackoff()}. */
    @WithDefault("1s")
    Duration initialBackoff();

    /** Longest delay between two background retries. */
    @WithDefault("5m")
    Duration maxBackoff();

    /**
     * Longest wait for one API request of a copy. fabric8's own request retry is off for copies (one attempt is one
     * request); the background retry, with jitter, is the one retry policy.
     */
    @WithDefault(REQUEST_TIMEOUT)
    Duration requestTimeout();

    /**
     * Most copy jobs pending at once (running or waiting for a retry); a copy needed beyond it is deferred (it
     * becomes a job when one ends), and the answer says so. Bounds what reviews naming many namespaces can make the
     * webhook do at once.
     */
    @WithDefault(MAX_PENDING)
    int maxPending();

    /**
     * Most copy attempts in flight at once, each on a thread of the copies' own pool (never the worker pool that
     * health and metrics use); jobs past it wait their turn.
     */
    @WithDefault(MAX_CONCURRENT)
    int maxConcurrent();

    /**
     * The {@code timeoutSeconds} of the MutatingWebhookConfiguration ({@code deploy/base/webhook.yaml}); the budget
     * must be shorter, or the API server gives up on the answer before the copy does.
     */
    @WithDefault("5s")
    Duration webhookTimeout();

    /**
     * Steady rate of the replicator's writes (creates and updates of copies, Kubernetes Events), per replica: one
     * client-side token bucket, as client-go's QPS. A rotation of N copies takes about N / this many seconds. Checked
     * at start ({@link WriteLimits}).
     */
    @WithDefault(WRITES_PER_SECOND)
    double writesPerSecond();

    /**
     * Most writes let through at once above the steady rate (the bucket's size), as client-go's Burst. Half of it is
     * held for copies that pods wait for, so a rotation never makes an admission wait.
     */
    @WithDefault(WRITE_BURST)
    int writeBurst();

    /**
     * Whether the replicas elect the one that rewrites copies when their source rotates (a Lease named
     * {@link #leaseName()} in the webhook's namespace). Every replica still answers admissions and makes the copies
     * they need. Off, or without {@code icr.webhook-namespace}, every replica rewrites (fine for one replica).
     */
    @WithDefault("true")
    boolean leaderElection();

    /** Name of the {@code coordination.k8s.io} Lease the replicas elect the rotation's writer with. */
    @WithDefault("icr-injector-rotation")
    String leaseName();
  }

  /** Settings of the management port's lock (README, "Operating it"). */
  interface ManagementPort {
    /**
     * {@code enabled}: every path but {@code /q/health/*} answers only a bearer token that Kubernetes authenticates
     * (TokenReview) and authorises ({@code get} on the path as a nonResourceURL, SubjectAccessReview). The
     * Deployment sets it; local runs and tests leave it {@code disabled}.
     */
    @WithDefault("disabled")
    Switch auth();

    /** How long an allowed decision is reused for the same token and path. */
    @WithDefault("1m")
    Duration cacheAllowed();

    /** How long a refusal (bad token, missing right) is reused; short, so a new RoleBinding takes effect soon. */
    @WithDefault("10s")
    Duration cacheDenied();

    /** Most decisions kept at once (token and path pairs). */
    @WithDefault("1000")
    int cacheSize();

    /** Longest wait for one TokenReview or SubjectAccessReview; past it the caller gets 503. */
    @WithDefault("2s")
    Duration requestTimeout();
  }

  /** Settings of the background report behind the burn-down gauge. */
  interface Report {
    /** Delay between two refreshes of the gauge (each a paged list of every kind, as {@code /report}); 0 turns it off. */
    @WithDefault("5m")
    Duration refreshInterval();

    /**
     * Most findings (images on a deprecated host) one report ({@code GET /report}, the {@code report} command) holds;
     * past it the report says how many it leaves out, so that a huge cluster cannot exhaust the heap with one GET.
     */
    @WithDefault("10000")
    int maxFindings();

    /** Most namespaces one report holds (those opted in or with findings); past it the report says how many it leaves out. */
    @WithDefault("20000")
    int maxNamespaces();

    /**
     * Most series of {@code icr_injector_deprecated_images}; past it the namespaces with the fewest objects are summed
     * per kind under {@code namespace="(other)"}, so that the gauge's memory and Prometheus's cardinality stay bounded.
     */
    @WithDefault("2000")
    int maxSeries();
  }

  /** On or off. */
  enum Switch {
    /** On. */
    ENABLED,
    /** Off. */
    DISABLED
  }
}
