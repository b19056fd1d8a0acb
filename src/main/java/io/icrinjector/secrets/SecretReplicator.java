package io.icrinjector.secrets;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.icrinjector.config.IcrConfig;
import io.icrinjector.engine.RewriteRules;
import io.icrinjector.kube.Clients;
import io.icrinjector.kube.Labels;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * The {@link PullSecretCopier} of the application: answers {@code ensure} ({@link AdmissionCopies}) and
 * {@code missing} from the {@link SecretCache}, hands missing copies to the {@link CopyJobs} (whose attempts are
 * {@link CopyAttempts}, written by the {@link CopyWriter}) and waits for a first attempt within the admission's
 * budget, and lets {@link Rotation} keep copies in step with their source while this replica holds the rotation
 * Lease ({@link RotationLeader}). Every write goes through one {@link WriteLimiter}. The only part of icr-injector
 * that writes to the Kubernetes API.
 *
 * <p>Once a namespace holds its secret, {@link #ensure} answers from memory with an already-completed Uni: no API
 * call, no thread hop. Only copies that are {@link Labels#isOurs ours} are ever written.
 */
@ApplicationScoped
public class SecretReplicator implements PullSecretCopier {

  private static final Logger LOG = Logger.getLogger(SecretReplicator.class);

  private final CopySettings settings;
  private final SecretCache cache;
  private final CopyJobs jobs;
  private final Rotation rotation;
  private final OptedInNamespaces optedIn;
  private final WriteLimiter limiter;
  private final RotationLeader leader;
  private final AdmissionCopies admissions;
  private final AtomicBoolean started = new AtomicBoolean();

  /** The pool the CDI constructor made, shut down on close; null when the caller owns the threads. */
  private ScheduledExecutorService ownPool;

  /** The gauges the CDI constructor registered, removed on close; null when made without a registry. */
  private ReplicatorGauges gauges;

  /**
   * CDI constructor: copies run on a pool of their own (see {@link CopyPool}); registers
   * {@code icr_injector_copies_pending} and {@code icr_injector_leader}.
   */
  @Inject
  public SecretReplicator(
      KubernetesClient client,
      IcrConfig config,
      RewriteRules rules,
      Event<SecretCopyEvent> events,
      MeterRegistry registry) {
    this(
        client,
        CopySettings.from(config, rules),
        events::fire,
        CopyPool.create(config.secretCopy().maxConcurrent()));
    this.gauges = new ReplicatorGauges(registry, this);
  }

  private SecretReplicator(
      KubernetesClient client,
      CopySettings settings,
      Consumer<SecretCopyEvent> events,
      ScheduledExecutorService pool) {
    this(client, settings, events, () -> pool);
    this.ownPool = pool;
  }

  /**
   * A replicator with explicit settings, for tests that run several against one API server.
   *
   * @param client the Kubernetes client
   * @param settings what to copy, from where, with which timings
   * @param events receives one event per outcome
   * @param workers runs the blocking API calls and schedules the retries; never an I/O thread
   */
  public SecretReplicator(
      KubernetesClient client,
      CopySettings settings,
      Consumer<SecretCopyEvent> events,
      Supplier<ScheduledExecutorService> workers) {
    this(
        client,
        settings,
        events,
        Scheduler.of(workers),
        new SecretCache(client, settings, Scheduler.of(workers)),
        new OptedInNamespaces(client, settings.maxPending()));
  }

  /**
   * A replicator on the given scheduler, cache and opt-in view; for tests that move a fake clock, break an informer
   * or cannot serve a watch.
   */
  SecretReplicator(
      KubernetesClient client,
      CopySettings settings,
      Consumer<SecretCopyEvent> events,
      Scheduler scheduler,
      SecretCache cache,
      OptedInNamespaces optedIn) {
    this.settings = settings;
    this.cache = cache;
    this.optedIn = optedIn;
    this.limiter = new WriteLimiter(settings.writesPerSecond(), settings.writeBurst());
    KubernetesClient copies = Clients.oneAttempt(client, settings.requestTimeout());
    CopyWriter writer = new CopyWriter(copies, settings.sourceNamespace(), limiter);
    CopyAttempts attempts = new CopyAttempts(settings, cache, writer, optedIn, events);
    this.jobs =
        new CopyJobs(
            scheduler,
            settings.initialBackoff(),
            settings.maxBackoff(),
            settings.maxPending(),
            settings.maxConcurrent(),
            () -> ThreadLocalRandom.current().nextDouble(),
            attempts::attempt,
            events);
    // A new leader reconciles every copy: whatever the previous one left undone when it died is
    // caught up here.
    this.leader =
        new RotationLeader(
            copies,
            settings.leaseNamespace(),
            settings.leaseName(),
            () -> settings.secretNames().forEach(this::rotateAll));
    this.rotation = new Rotation(cache, writer, settings, events, leader::leading);
    this.admissions =
        new AdmissionCopies(settings, events, scheduler, cache, attempts, jobs, optedIn);
  }

  private void rotateAll(String name) {
    rotation.all(name);
  }

  /**
   * Starts the replicator off Quarkus's main thread: the observer gets the bean's client proxy, so the replicator
   * and the Kubernetes client it builds are made on that thread, and the HTTP server opens without waiting for
   * them (about 0.8-1.1 s of the start-up on the shared machine: README, "Performance"). Until then the replicator
   * is only not started yet, as it was not synced yet before: not ready, and a review sees no opted-in namespace.
   */
  static void onStart(@Observes StartupEvent event, SecretReplicator replicator) {
    Thread t =
        new Thread(
            () -> {
              try {
                replicator.start();
              } catch (RuntimeException e) {
                // Readiness asks the replicator too, so the pod stays unready while it cannot be
                // made.
                LOG.error("cannot start copying pull secrets", e);
              }
            },
            "icr-secret-replicator-start");
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
    // A namespace that loses the label ends its retries; any namespace the watch delivers says the
    // API answers.
    optedIn.start(jobs::kickNamespace, jobs::recovered);
    cache.start(new WatchReactions(jobs, rotation));
    leader.start();
  }

  /** Stops the watches, the retries and the rotation. */
  @PreDestroy
  public void close() {
    leader.close();
    optedIn.close();
    cache.close();
    jobs.close();
    rotation.close();
    if (ownPool != null) {
      ownPool.shutdownNow();
    }
    if (gauges != null) {
      gauges.close();
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

  /** The one rate limit of this replica's writes, shared with the Events ({@link CopyObservers}). */
  WriteLimiter writeLimiter() {
    return limiter;
  }

  /** Copies known to differ from their source and not yet written ({@code icr_injector_copies_pending}). */
  public int copiesPending() {
    return rotation.pending();
  }

  /** Whether this replica writes rotations now ({@code icr_injector_leader}): it holds the Lease, or none is used. */
  public boolean leading() {
    return active() && leader.leading();
  }

  /** What memory holds for {@code name} in {@code namespace}; for tests. */
  Secret viewed(String namespace, String name) {
    return cache.get(namespace, name);
  }

  @Override
  public Uni<List<String>> ensure(String namespace, List<String> secrets, boolean dryRun) {
    if (!settings.enabled() || settings.protectedNamespaces().contains(namespace)) {
      return AdmissionCopies.NONE;
    }
    return admissions.ensure(namespace, secrets, dryRun);
  }

  @Override
  public List<String> ensureNow(String namespace, List<String> secrets, boolean dryRun) {
    if (!settings.enabled() || settings.protectedNamespaces().contains(namespace)) {
      return List.of();
    }
    return admissions.ensureNow(namespace, secrets);
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
