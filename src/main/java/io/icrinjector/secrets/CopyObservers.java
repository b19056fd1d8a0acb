package io.icrinjector.secrets;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.icrinjector.config.IcrConfig;
import io.icrinjector.kube.Clients;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Makes the replicator's outcomes visible: {@code icr_injector_secret_copies_total{result}} for Prometheus, a
 * Kubernetes Event on the namespace when a copy is created or fails ({@code kubectl get events -n <ns>}), and one
 * Event on the source secret per rotation, with its counts ({@code kubectl get events -n default
 * --field-selector involvedObject.name=all-icr-io}). A copy that follows its source has no Event of its own: at 10,000
 * copies that was 10,000 writes more per rotation. Events are written on a thread of their own after the fact, at
 * background priority through the replicator's {@link WriteLimiter}, so they never delay an admission.
 */
@ApplicationScoped
public class CopyObservers {

  /** Writes one Kubernetes Event; never throws. */
  @FunctionalInterface
  interface Recorder {
    /** An Event about {@code namespace}. */
    void record(String namespace, String reason, String type, String message);

    /** An Event about the secret {@code secret} in {@code namespace}; by default, about the namespace. */
    default void recordOnSecret(
        String namespace, String secret, String reason, String type, String message) {
      record(namespace, reason, type, message);
    }
  }

  private static final Logger LOG = Logger.getLogger(CopyObservers.class);

  /** Who reports the Event, as {@code kubectl get events} shows it. */
  public static final String COMPONENT = "icr-injector";

  /** Events waiting to be written at most; more are dropped. */
  static final int QUEUED_EVENTS = 256;

  private final Map<SecretCopyEvent.Outcome, Counter> counters =
      new EnumMap<>(SecretCopyEvent.Outcome.class);

  /**
   * The failure last reported per namespace/secret, so that a retry that fails the same way adds no new Event. Any
   * other outcome ends that story (the copy is there, is someone else's, or its namespace is gone), so the entry
   * goes, and the map holds only failures still being retried.
   */
  private final Map<String, String> lastFailure = new ConcurrentHashMap<>();

  private final Recorder recorder;

  /**
   * CDI constructor. Events are written one at a time on a thread of their own, through the copies' client (one
   * request, no client retry), and at most {@link #QUEUED_EVENTS} wait: never on the worker pool that health and
   * metrics need, and an API server that hangs costs dropped Events (the log and the metric keep the story).
   */
  @Inject
  public CopyObservers(
      MeterRegistry registry,
      KubernetesClient client,
      IcrConfig config,
      SecretReplicator replicator) {
    this(
        registry,
        recorder(
            Clients.oneAttempt(client, config.secretCopy().requestTimeout()),
            replicator::writeLimiter));
  }

  private static Recorder recorder(KubernetesClient client, Supplier<WriteLimiter> limiter) {
    ThreadPoolExecutor thread =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(QUEUED_EVENTS),
            r -> {
              Thread t = new Thread(r, "icr-copy-events");
              t.setDaemon(true);
              return t;
            },
            (r, pool) -> LOG.debug("event dropped: too many waiting to be written"));
    return new Recorder() {
      @Override
      public void record(String namespace, String reason, String type, String message) {
        thread.execute(
            () ->
                write(
                    client,
                    limiter.get(),
                    namespace,
                    "Namespace",
                    namespace,
                    reason,
                    type,
                    message));
      }

      @Override
      public void recordOnSecret(
          String namespace, String secret, String reason, String type, String message) {
        thread.execute(
            () -> write(client, limiter.get(), namespace, "Secret", secret, reason, type, message));
      }
    };
  }

  CopyObservers(MeterRegistry registry, Recorder recorder) {
    this.recorder = recorder;
    for (SecretCopyEvent.Outcome outcome : SecretCopyEvent.Outcome.values()) {
      counters.put(
          outcome,
          Counter.builder("icr_injector_secret_copies")
              .description("Pull secret copy outcomes")
              .tag("result", outcome.name().toLowerCase(Locale.ROOT))
              .register(registry));
    }
  }

  void count(@Observes SecretCopyEvent event) {
    counters.get(event.outcome()).increment();
  }

  void report(@Observes SecretCopyEvent event) {
    String key = event.namespace() + "/" + event.secret();
    String secret = event.secret();
    switch (event.outcome()) {
      case FAILED -> {
        if (!event.detail().equals(lastFailure.put(key, event.detail()))) {
          recorder.record(
              event.namespace(),
              "PullSecretCopyFailed",
              "Warning",
              "could not copy secret " + secret + ": " + event.detail());
        }
      }
      // Nothing happened, and nothing ended; nor is an Event written in a namespace that did not
      // opt in.
      case DRY_RUN, NOT_OPTED_IN, NOT_QUEUED -> {}
      case ROTATED ->
          recorder.recordOnSecret(
              event.namespace(),
              secret,
              "PullSecretRotated",
              "Normal",
              "brought the copies of secret " + secret + " in line with it: " + event.detail());
      default -> {
        lastFailure.remove(key);
        if (event.outcome() == SecretCopyEvent.Outcome.CREATED) {
          recorder.record(
              event.namespace(),
              "PullSecretCopied",
              "Normal",
              "copied secret "
                  + secret
                  + " into namespace "
                  + event.namespace()
                  + " ("
                  + event.detail()
                  + ")");
        } // updated (the rotation's Event counts it), exists, foreign, abandoned: nothing worth an
        // Event of its own
      }
    }
  }

  /** Failures whose Event is remembered; for tests. */
  int remembered() {
    return lastFailure.size();
  }

  private static void write(
      KubernetesClient client,
      WriteLimiter limiter,
      String namespace,
      String kind,
      String name,
      String reason,
      String type,
      String message) {
    try {
      limiter.acquire(WriteLimiter.Priority.BACKGROUND);
      String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
      client
          .v1()
          .events()
          .inNamespace(namespace)
          .resource(
              new EventBuilder()
                  .withNewMetadata()
                  .withName(name + "." + UUID.randomUUID().toString().substring(0, 13))
                  .endMetadata()
                  .withNewInvolvedObject()
                  .withApiVersion("v1")
                  .withKind(kind)
                  .withName(name)
                  .withNamespace(namespace)
                  .endInvolvedObject()
                  .withReason(reason)
                  .withType(type)
                  .withMessage(message)
                  .withNewSource()
                  .withComponent(COMPONENT)
                  .endSource()
                  .withFirstTimestamp(now)
                  .withLastTimestamp(now)
                  .withCount(1)
                  .build())
          .create();
    } catch (RuntimeException e) {
      // Events are a courtesy: the log line and the metric already tell the story.
      LOG.debugf(
          "could not record event %s in namespace %s: %s", reason, namespace, e.getMessage());
    }
  }
}
