package io.icrinjector.secrets;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Makes the replicator's outcomes visible: {@code icr_injector_secret_copies_total{result}} for Prometheus, and a
 * Kubernetes Event on the namespace when a copy is created, updated or fails ({@code kubectl get events -n <ns>}).
 * Events are written on a worker thread after the fact, so they never delay an admission.
 */
@ApplicationScoped
public class CopyObservers {

  /** Writes one Kubernetes Event; never throws. */
  @FunctionalInterface
  interface Recorder {
    void record(String namespace, String reason, String type, String message);
  }

  private static final Logger LOG = Logger.getLogger(CopyObservers.class);
  /** Who reports the Event, as {@code kubectl get events} shows it. */
  public static final String COMPONENT = "icr-injector";

  private final Map<SecretCopyEvent.Outcome, Counter> counters = new EnumMap<>(SecretCopyEvent.Outcome.class);
  /**
   * The failure last reported per namespace/secret, so that a retry that fails the same way adds no new Event. Any
   * other outcome ends that story (the copy is there, is someone else's, or its namespace is gone), so the entry
   * goes, and the map holds only failures still being retried.
   */
  private final Map<String, String> lastFailure = new ConcurrentHashMap<>();
  private final Recorder recorder;

  /** CDI constructor. */
  @Inject
  public CopyObservers(MeterRegistry registry, KubernetesClient client) {
    this(registry, (namespace, reason, type, message) -> Infrastructure.getDefaultWorkerPool()
        .execute(() -> write(client, namespace, reason, type, message)));
  }

  CopyObservers(MeterRegistry registry, Recorder recorder) {
    this.recorder = recorder;
    for (SecretCopyEvent.Outcome outcome : SecretCopyEvent.Outcome.values()) {
      counters.put(outcome, Counter.builder("icr_injector_secret_copies")
          .description("Pull secret copy outcomes").tag("result", outcome.name().toLowerCase(Locale.ROOT))
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
          recorder.record(event.namespace(), "PullSecretCopyFailed", "Warning",
              "could not copy secret " + secret + ": " + event.detail());
        }
      }
      case DRY_RUN -> { } // nothing happened, and nothing ended
      default -> {
        lastFailure.remove(key);
        if (event.outcome() == SecretCopyEvent.Outcome.CREATED) {
          recorder.record(event.namespace(), "PullSecretCopied", "Normal",
              "copied secret " + secret + " into namespace " + event.namespace() + " (" + event.detail() + ")");
        } else if (event.outcome() == SecretCopyEvent.Outcome.UPDATED) {
          recorder.record(event.namespace(), "PullSecretUpdated", "Normal",
              "updated secret " + secret + " to follow its source (" + event.detail() + ")");
        } // exists, foreign, abandoned: nothing happened worth an Event
      }
    }
  }

  /** Failures whose Event is remembered; for tests. */
  int remembered() {
    return lastFailure.size();
  }

  private static void write(KubernetesClient client, String namespace, String reason, String type, String message) {
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    try {
      client.v1().events().inNamespace(namespace).resource(new EventBuilder()
          .withNewMetadata().withName(namespace + "." + UUID.randomUUID().toString().substring(0, 13)).endMetadata()
          .withNewInvolvedObject().withApiVersion("v1").withKind("Namespace").withName(namespace).withNamespace(namespace)
          .endInvolvedObject()
          .withReason(reason).withType(type).withMessage(message)
          .withNewSource().withComponent(COMPONENT).endSource()
          .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
          .build()).create();
    } catch (RuntimeException e) {
      // Events are a courtesy: the log line and the metric already tell the story.
      LOG.debugf("could not record event %s in namespace %s: %s", reason, namespace, e.getMessage());
    }
  }
}
