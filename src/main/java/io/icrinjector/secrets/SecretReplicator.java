package io.icrinjector.secrets;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.icrinjector.config.IcrConfig;
import io.icrinjector.engine.RewriteRules;
import io.icrinjector.secrets.SecretCopyEvent.Outcome;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * The {@link PullSecretCopier} of the application: answers {@code ensure} and {@code missing} from the
 * {@link SecretCache}, hands missing copies to the {@link CopyJobs} (whose attempts are {@link CopyAttempts}, written
 * by the {@link CopyWriter}) and waits for a first attempt within the admission's budget, and lets {@link Rotation}
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
  private final CopyAttempts attempts;
  private final CopyJobs jobs;
  private final Rotation rotation;
  private final OptedInNamespaces optedIn;
  private final AtomicBoolean started = new AtomicBoolean();
  /** The pool the CDI constructor made, shut down on close; null when the caller owns the threads. */
  private ScheduledExecutorService ownPool;

  /** CDI constructor: copies run on a pool of their own (see {@link #copyPool}). */
  @Inject
  public SecretReplicator(KubernetesClient client, IcrConfig config, RewriteRules rules,
      Event<SecretCopyEvent> events) {
    this(client, CopySettings.from(config, rules), events::fire, copyPool(config.secretCopy().maxConcurrent()));
  }

  private SecretReplicator(KubernetesClient client, CopySettings settings, Consumer<SecretCopyEvent> events,
      ScheduledExecutorService pool) {
    this(client, settings, events, () -> pool);
    this.ownPool = pool;
  }

  /**
   * The copies' own threads, bounded: {@code maxConcurrent} for attempts plus one for watch set-up and timers.
   * Never Quarkus's worker pool: with the API server hanging, copies waiting on it there left health and metrics
   * without a thread, and the pod went NotReady while it still answered admissions.
   */
  static ScheduledExecutorService copyPool(int maxConcurrent) {
    AtomicInteger n = new AtomicInteger();
    ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(Math.max(1, maxConcurrent) + 1, r -> {
      Thread t = new Thread(r, "icr-secret-copy-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    pool.setRemoveOnCancelPolicy(true); // a kicked job's cancelled back-off timer goes at once
    return pool;
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
    this(client, settings, events, Scheduler.of(workers), new SecretCache(client, settings, Scheduler.of(workers)),
        new OptedInNamespaces(client, settings.maxPending()));
  }

  /**
   * A replicator on the given scheduler, cache and opt-in view; for tests that move a fake clock, break an informer
   * or cannot serve a watch.
   */
  SecretReplicator(KubernetesClient client, CopySettings settings, Consumer<SecretCopyEvent> events,
      Scheduler scheduler, SecretCache cache, OptedInNamespaces optedIn) {
    this.settings = settings;
    this.events = events;
    this.scheduler = scheduler;
    this.cache = cache;
    this.optedIn = optedIn;
    this.writer = new CopyWriter(CopyClient.of(client, settings.requestTimeout()), settings.sourceNamespace());
    this.attempts = new CopyAttempts(settings, cache, writer, optedIn, events);
    this.jobs = new CopyJobs(scheduler, settings.initialBackoff(), settings.maxBackoff(), settings.maxPending(),
        settings.maxConcurrent(), () -> ThreadLocalRandom.current().nextDouble(), attempts::attempt, events);
    this.rotation = new Rotation(cache, writer, settings, events);
  }

  /**
   * Starts the replicator off Quarkus's main thread: the observer gets the bean's client proxy, so the replicator
   * and the Kubernetes client it builds are made on that thread, and the HTTP server opens without waiting for
   * them (about 0.8-1.1 s of the start-up on the shared machine: README, "Performance"). Until then the replicator
   * is only not started yet, as it was not synced yet before: not ready, and a review sees no opted-in namespace.
   */
  static void onStart(@Observes StartupEvent event, SecretReplicator replicator) {
    Thread t = new Thread(() -> {
      try {
        replicator.start();
      } catch (RuntimeException e) {
        // Readiness asks the replicator too, so the pod stays unready while it cannot be made.
        LOG.error("cannot start copying pull secrets", e);
      }
    }, "icr-secret-replicator-start");
    t.setDaemon(true);
    t.start();
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
    // A namespace that loses the label ends its retries; any namespace the watch delivers says the API answers.
    optedIn.start(jobs::kickNamespace, jobs::recovered);
    cache.start(new SecretCache.Listener() {
      @Override
      public void sourceChanged(String name) {
        jobs.kickAll(name);
        jobs.recovered();
        rotation.all(name);
      }

      @Override
      public void copyChanged(Secret secret) {
        jobs.kick(secret.getMetadata().getNamespace(), secret.getMetadata().getName());
        jobs.recovered();
        rotation.one(secret.getMetadata().getNamespace(), secret.getMetadata().getName());
      }
    });
  }

  /** Stops the watches, the retries and the rotation. */
  @PreDestroy
  public void close() {
    optedIn.close();
    cache.close();
    jobs.close();
    rotation.close();
    if (ownPool != null) {
      ownPool.shutdownNow();
    }
  }

  /**
   * True once every watch has listed its secrets and the opted-in namespaces (or when copying is off); for the
   * readiness check.
   */
  public boolean synced() {
    return !active() || (cache.synced() && optedIn.synced());
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
    long deadline = scheduler.nanoTime() + settings.budget().toNanos();
    if (optedIn.contains(namespace)) {
      return ensureOptedIn(namespace, secrets, dryRun, deadline);
    }
    // Only the API server's namespaceSelector sends a review for an unlabelled namespace: anyone else who reaches
    // the Service can forge one. Such a review gets its patch and a warning; nothing is copied, queued or recorded.
    // A namespace labelled a moment ago may not have reached the watch yet: wait for it, within the budget.
    // Before the watch has listed, whether the namespace is opted in is unknown: say so, rather than blame its label.
    if (!optedIn.synced()) {
      return notOptedIn(namespace, secrets, false);
    }
    CompletableFuture<Void> appears = dryRun ? null : optedIn.appearance(namespace);
    long leftMillis = TimeUnit.NANOSECONDS.toMillis(settings.budget().toNanos());
    if (appears == null || leftMillis < 1) {
      return notOptedIn(namespace, secrets, true);
    }
    return Uni.createFrom().completionStage(appears.thenApply(v -> Boolean.TRUE))
        .ifNoItem().after(Duration.ofMillis(leftMillis)).recoverWithItem(Boolean.FALSE)
        .onFailure().recoverWithItem(Boolean.FALSE)
        .chain(seen -> {
          if (seen && optedIn.contains(namespace)) {
            return ensureOptedIn(namespace, secrets, false, deadline);
          }
          optedIn.giveUp(namespace, appears);
          return notOptedIn(namespace, secrets, true);
        });
  }

  /** @param known whether the watch has listed, so the namespace is known not to be opted in */
  private Uni<List<String>> notOptedIn(String namespace, List<String> secrets, boolean known) {
    List<String> warnings = new ArrayList<>(secrets.size());
    for (String name : secrets) {
      if (cache.get(namespace, name) == null) {
        events.accept(new SecretCopyEvent(namespace, name, Outcome.NOT_OPTED_IN,
            known ? "namespace not opted in" : "namespace opt-in not known yet"));
        warnings.add(known ? CopyWarnings.notOptedIn(name) : CopyWarnings.optInUnknown(name));
      }
    }
    return warnings.isEmpty() ? NONE : Uni.createFrom().item(List.copyOf(warnings));
  }

  private Uni<List<String>> ensureOptedIn(String namespace, List<String> secrets, boolean dryRun, long deadline) {
    List<String> warnings = new ArrayList<>(0);
    List<Uni<String>> pending = new ArrayList<>(0);
    for (String name : secrets) {
      Secret existing = cache.get(namespace, name);
      if (existing != null) {
        String w = attempts.foreignWarning(name, existing);
        if (w != null) {
          warnings.add(w);
        }
      } else if (dryRun) {
        events.accept(new SecretCopyEvent(namespace, name, Outcome.DRY_RUN,
            "would copy from " + settings.sourceNamespace() + "/" + name));
      } else {
        CopyJobs.Job job = jobs.join(namespace, name);
        if (job == null) {
          // Deferred, not dropped: it becomes a job when one ends. Logged once per copy, not once per pod.
          if (jobs.defer(namespace, name)) {
            LOG.warnf("copy of secret %s into namespace %s deferred: %d copy jobs pending already "
                + "(icr.secret-copy.max-pending); it starts when one ends", name, namespace, jobs.maxPending());
            events.accept(new SecretCopyEvent(namespace, name, Outcome.NOT_QUEUED, "deferred: too many copies pending"));
          }
          warnings.add(CopyWarnings.notQueued(name, jobs.maxPending()));
        } else {
          awaitCopy(job, warnings, pending, deadline);
        }
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
  private void awaitCopy(CopyJobs.Job job, List<String> warnings, List<Uni<String>> pending, long deadline) {
    Attempt last = job.last;
    if (job.first.isDone() && last != null) {
      // A copy that failed before is being retried in the background; say so without waiting again.
      if (last.warning() != null) {
        warnings.add(last.warning());
      }
      return;
    }
    // The budget runs from the job's start: a pod that joins a slow first attempt does not wait it out again.
    long now = scheduler.nanoTime();
    long left = Math.min(settings.budget().toNanos() - (now - job.startedNanos), deadline - now);
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

  private boolean active() {
    return settings.enabled() && !settings.secretNames().isEmpty();
  }
}
