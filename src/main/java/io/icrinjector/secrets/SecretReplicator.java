package io.icrinjector.secrets;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.icrinjector.config.IcrConfig;
import io.icrinjector.engine.RewriteRules;
import io.icrinjector.secrets.SecretCopyEvent.Outcome;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.net.HttpURLConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * The {@link PullSecretCopier} of the application: answers {@code ensure} and {@code missing} from the
 * {@link SecretCache}, hands missing copies to the {@link CopyJobs} (whose attempts are {@link #attempt}, written by
 * the {@link CopyWriter}) and waits for a first attempt within the admission's budget, and lets {@link Rotation}
 * keep copies in step with their source. The only part of icr-injector that calls the Kubernetes API.
 *
 * <p>Once a namespace holds its secret, {@link #ensure} answers from memory with an already-completed Uni: no API
 * call, no thread hop. Only copies that are {@link Ownership#isOurs ours} are ever written.
 */
@ApplicationScoped
public class SecretReplicator implements PullSecretCopier {

  private static final Logger LOG = Logger.getLogger(SecretReplicator.class);
  private static final Uni<List<String>> NONE = Uni.createFrom().item(List.of());

  private final CopySettings settings;
  private final Consumer<SecretCopyEvent> events;
  private final Scheduler scheduler;
  private final SecretCache cache;
  private final CopyWriter writer;
  private final CopyJobs jobs;
  private final Rotation rotation;
  private final AtomicBoolean started = new AtomicBoolean();

  /** CDI constructor. */
  @Inject
  public SecretReplicator(KubernetesClient client, IcrConfig config, RewriteRules rules,
      Event<SecretCopyEvent> events) {
    this(client, CopySettings.from(config, rules), events::fire, Infrastructure::getDefaultWorkerPool);
  }

  /**
   * A replicator with explicit settings, for tests that run several against one API server.
   *
   * @param client the Kubernetes client
   * @param settings what to copy, from where, with which timings
   * @param events receives one event per outcome
   * @param workers runs the blocking API calls and schedules the retries; never an I/O thread
   */
  public SecretReplicator(KubernetesClient client, CopySettings settings, Consumer<SecretCopyEvent> events,
      Supplier<ScheduledExecutorService> workers) {
    this(client, settings, events, Scheduler.of(workers), new SecretCache(client, settings, Scheduler.of(workers)));
  }

  /** A replicator on the given scheduler and cache; for tests that move a fake clock or break an informer. */
  SecretReplicator(KubernetesClient client, CopySettings settings, Consumer<SecretCopyEvent> events,
      Scheduler scheduler, SecretCache cache) {
    this.settings = settings;
    this.events = events;
    this.scheduler = scheduler;
    this.cache = cache;
    this.writer = new CopyWriter(client, settings.sourceNamespace());
    this.jobs = new CopyJobs(scheduler, settings.initialBackoff(), settings.maxBackoff(), this::attempt, events);
    this.rotation = new Rotation(cache, writer, settings, events);
  }

  void onStart(@Observes StartupEvent event) {
    start();
  }

  /**
   * Starts watching in the background. Never blocks and never fails: without a reachable API server the
   * application still starts, logs a warning and keeps trying; copies then go through the API until it works.
   */
  public void start() {
    if (!active() || !started.compareAndSet(false, true)) {
      return;
    }
    rotation.start();
    cache.start(new SecretCache.Listener() {
      @Override
      public void sourceChanged(String name) {
        jobs.kickAll(name);
        rotation.all(name);
      }

      @Override
      public void copyChanged(Secret secret) {
        jobs.kick(secret.getMetadata().getNamespace(), secret.getMetadata().getName());
        rotation.one(secret.getMetadata().getNamespace(), secret.getMetadata().getName());
      }
    });
  }

  /** Stops the watch, the retries and the rotation. */
  @PreDestroy
  public void close() {
    cache.close();
    jobs.close();
    rotation.close();
  }

  /** True once every watch has listed its secrets (or when copying is off); for the readiness check. */
  public boolean synced() {
    return !active() || cache.synced();
  }

  /** Copy jobs still running or waiting for a retry. */
  int inFlight() {
    return jobs.inFlight();
  }

  /** What memory holds for {@code name} in {@code namespace}; for tests. */
  Secret viewed(String namespace, String name) {
    return cache.get(namespace, name);
  }

  @Override
  public Uni<List<String>> ensure(String namespace, List<String> secrets, boolean dryRun) {
    if (!settings.enabled() || settings.protectedNamespaces().contains(namespace)) {
      return NONE;
    }
    List<String> warnings = new ArrayList<>(0);
    List<Uni<String>> pending = new ArrayList<>(0);
    for (String name : secrets) {
      Secret existing = cache.get(namespace, name);
      if (existing != null) {
        String w = foreignWarning(name, existing);
        if (w != null) {
          warnings.add(w);
        }
      } else if (dryRun) {
        events.accept(new SecretCopyEvent(namespace, name, Outcome.DRY_RUN,
            "would copy from " + settings.sourceNamespace() + "/" + name));
      } else {
        awaitCopy(jobs.join(namespace, name), warnings, pending);
      }
    }
    if (pending.isEmpty()) {
      return warnings.isEmpty() ? NONE : Uni.createFrom().item(List.copyOf(warnings));
    }
    return Uni.join().all(pending).andFailFast().map(results -> {
      List<String> all = new ArrayList<>(warnings);
      results.stream().filter(w -> !w.isEmpty()).forEach(all::add);
      return List.copyOf(all);
    });
  }

  /** Adds what an admission learns of {@code job}: a warning now, or a wait for its first attempt. */
  private void awaitCopy(CopyJobs.Job job, List<String> warnings, List<Uni<String>> pending) {
    Attempt last = job.last;
    if (job.first.isDone() && last != null) {
      // A copy that failed before is being retried in the background; say so without waiting again.
      if (last.warning() != null) {
        warnings.add(last.warning());
      }
      return;
    }
    // The budget runs from the job's start: a pod that joins a slow first attempt does not wait it out again.
    long left = settings.budget().toNanos() - (scheduler.nanoTime() - job.startedNanos);
    // Whole milliseconds: Mutiny truncates the timeout to them, and Vert.x refuses a timer under 1 ms ("Cannot
    // schedule a timer with delay < 1 ms", thrown as the answer subscribes). Under 1 ms left is no time left.
    long leftMillis = TimeUnit.NANOSECONDS.toMillis(left);
    String slow = CopyWarnings.stillRunning(job.name, settings.budget());
    if (left <= 0 || leftMillis < 1) {
      warnings.add(slow);
      return;
    }
    // A stage of its own: on timeout Mutiny cancels its upstream, which must not be the job's shared future.
    CompletableFuture<String> answer = job.first.thenApply(a -> a.warning() == null ? "" : a.warning());
    pending.add(Uni.createFrom().completionStage(answer).ifNoItem().after(Duration.ofMillis(leftMillis))
        .recoverWithItem(slow));
  }

  @Override
  public List<String> missing(String namespace, List<String> secrets) {
    if (!settings.enabled() || settings.protectedNamespaces().contains(namespace)) {
      return List.of();
    }
    return secrets.stream().filter(name -> cache.get(namespace, name) == null).toList();
  }

  /** One try at making {@code namespace} hold {@code name}; a copy job's attempt. Blocking, on a worker thread. */
  Attempt attempt(String namespace, String name) {
    Secret existing = cache.get(namespace, name);
    if (existing != null) {
      return found(namespace, name, existing);
    }
    String verb = "get";
    try {
      Secret source = cache.source(name);
      if (source == null) {
        String where = settings.sourceNamespace() + "/" + name;
        return Attempt.retry(CopyWarnings.sourceMissing(where), "source " + where + " not found");
      }
      verb = "create";
      CopyWriter.Created created = writer.create(namespace, source);
      if (created.secret() == null) {
        return Attempt.retry(CopyWarnings.racedWithDeletion(name), "created and deleted concurrently");
      }
      cache.learned(created.secret());
      if (!created.byUs()) {
        return found(namespace, name, created.secret());
      }
      String version = source.getMetadata().getResourceVersion();
      LOG.infof("created secret %s in namespace %s from %s/%s (source version %s)", name, namespace,
          settings.sourceNamespace(), name, version);
      events.accept(new SecretCopyEvent(namespace, name, Outcome.CREATED, "source version " + version));
      return Attempt.DONE;
    } catch (RuntimeException e) {
      return failure(namespace, name, verb, e);
    }
  }

  /** The copy job found {@code existing} in place: ours (done) or someone else's (left alone). */
  private Attempt found(String namespace, String name, Secret existing) {
    if (Ownership.isOurs(existing)) {
      LOG.debugf("secret %s in namespace %s is already there", name, namespace);
      events.accept(new SecretCopyEvent(namespace, name, Outcome.EXISTS, "already present"));
      return Attempt.DONE;
    }
    String warning = foreignWarning(name, existing);
    LOG.infof("secret %s in namespace %s is not managed by icr-injector; left unchanged%s", name, namespace,
        warning == null ? "" : " (it differs from the source)");
    events.accept(new SecretCopyEvent(namespace, name, Outcome.SKIPPED_FOREIGN,
        warning == null ? "same as source" : "differs from source"));
    return Attempt.foreign(warning);
  }

  /** Turns an API failure into a warning with its cause and its fix. */
  private Attempt failure(String namespace, String name, String verb, RuntimeException e) {
    int code = KubeErrors.code(e);
    if (KubeErrors.namespaceTerminating(e)) {
      return Attempt.gone(CopyWarnings.terminating(name), "namespace " + namespace + " terminating");
    }
    if (code == HttpURLConnection.HTTP_NOT_FOUND && "create".equals(verb)) {
      return Attempt.gone(CopyWarnings.namespaceNotFound(name), "namespace " + namespace + " not found");
    }
    if (code == HttpURLConnection.HTTP_FORBIDDEN) {
      return Attempt.retry(CopyWarnings.forbidden(verb, name, "get".equals(verb) ? settings.sourceNamespace() : null),
          "forbidden: " + KubeErrors.message(e));
    }
    if (code > 0) {
      return Attempt.retry(CopyWarnings.failed(name, code), "HTTP " + code + ": " + KubeErrors.message(e));
    }
    return Attempt.retry(CopyWarnings.unreachable(name), KubeErrors.describe(e));
  }

  /** The warning for a same-named secret that is not ours, or null when it is ours or equals the source. */
  private String foreignWarning(String name, Secret existing) {
    if (Ownership.isOurs(existing)) {
      return null;
    }
    Secret source = cache.get(settings.sourceNamespace(), name);
    if (source == null || SecretView.sameContent(source, existing)) {
      return null;
    }
    return CopyWarnings.foreignDiffers(name, settings.sourceNamespace());
  }

  private boolean active() {
    return settings.enabled() && !settings.secretNames().isEmpty();
  }
}
