package io.icrinjector.secrets;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
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
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Copies pull secrets from the source namespace into the namespaces of the pods that need them, and keeps the
 * copies in step with their source. The only part of icr-injector that calls the Kubernetes API.
 *
 * <p>One informer per secret name, across all namespaces and restricted by the field selector
 * {@code metadata.name=<name>} (so that RBAC can grant get/list/watch by {@code resourceNames}), feeds a
 * {@link SecretView}. Once a namespace holds its secret, {@link #ensure} answers from that view with an
 * already-completed Uni: no API call, no thread hop. A missing secret gets one copy job per (namespace, name),
 * shared by every admission that needs it: a first attempt on a worker thread within the admission's budget,
 * then, if it fails, retries in the background with exponential back-off until the copy exists.
 *
 * <p>A copy holds the source's type and data only, is labelled {@value #MANAGED_BY}={@value #MANAGER} and
 * annotated with its source and the source's resourceVersion. Only copies carrying that label are ever written;
 * a same-named secret without it is left alone.
 */
@ApplicationScoped
public class SecretReplicator implements PullSecretCopier {

  /** Label that marks a copy as ours. */
  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  /** Value of {@link #MANAGED_BY} on our copies. */
  public static final String MANAGER = "icr-injector";
  /** Annotation naming the copy's source as {@code namespace/name}. */
  public static final String SOURCE_ANNOTATION = "icr-injector.io/source";
  /** Annotation holding the resourceVersion of the source the copy was made from. */
  public static final String SOURCE_VERSION_ANNOTATION = "icr-injector.io/source-resource-version";

  private static final Logger LOG = Logger.getLogger(SecretReplicator.class);
  private static final Uni<List<String>> NONE = Uni.createFrom().item(List.of());
  /** How often the informers replay their cache; each replay re-checks every copy against its source. */
  private static final long RESYNC_MILLIS = TimeUnit.MINUTES.toMillis(10);
  /** How long to wait before trying again to set up informers whose creation itself failed. */
  private static final long INFORMER_SETUP_RETRY_SECONDS = 30;
  /** When to say that the informers have not synced yet. */
  private static final long SYNC_WARNING_SECONDS = 10;

  private final KubernetesClient client;
  private final CopySettings settings;
  private final Consumer<SecretCopyEvent> events;
  private final Supplier<ScheduledExecutorService> workers;
  private final SecretView view = new SecretView();
  private final Map<String, CopyJob> jobs = new ConcurrentHashMap<>();
  private final Map<String, SharedIndexInformer<Secret>> informers = new ConcurrentHashMap<>();
  private final Set<String> informerWarned = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean started = new AtomicBoolean();
  private volatile ExecutorService rotation;
  private volatile boolean closed;

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
    this.client = client;
    this.settings = settings;
    this.events = events;
    this.workers = workers;
  }

  void onStart(@Observes StartupEvent event) {
    start();
  }

  /**
   * Starts the informers in the background. Never blocks and never fails: without a reachable API server the
   * application still starts, logs a warning and keeps trying; copies then go through the API until it works.
   */
  public void start() {
    if (!settings.enabled() || settings.secretNames().isEmpty() || !started.compareAndSet(false, true)) {
      return;
    }
    rotation = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "icr-secret-rotation");
      t.setDaemon(true);
      return t;
    });
    workers.get().execute(this::startInformers);
    // The informer reports a failed first list only after the client's own retries, which can take minutes.
    workers.get().schedule(() -> {
      if (!closed && !synced()) {
        LOG.warnf("the watch of secrets %s has not synced after %ds; is the API server reachable? Copies use "
            + "the API directly meanwhile", settings.secretNames(), SYNC_WARNING_SECONDS);
      }
    }, SYNC_WARNING_SECONDS, TimeUnit.SECONDS);
  }

  private void startInformers() {
    for (String name : settings.secretNames()) {
      if (closed || informers.containsKey(name)) {
        continue;
      }
      try {
        SharedIndexInformer<Secret> informer = client.secrets().inAnyNamespace()
            .withField("metadata.name", name)
            .runnableInformer(RESYNC_MILLIS);
        informer.addEventHandler(new Watcher(name));
        // The default handler gives up when the very first list fails (start() then fails for good);
        // retrying always lets the informer's own back-off reconnect once the API server answers.
        informer.exceptionHandler((wasStarted, t) -> {
          if (!wasStarted && informerWarned.add(name)) {
            KubernetesClientException k = clientException(t);
            if (k != null && k.getCode() == HttpURLConnection.HTTP_FORBIDDEN) {
              // Not transient: the webhook stays unready (readiness waits for this watch) until RBAC is fixed.
              LOG.errorf("RBAC forbids watching secret %s: add it to the resourceNames of icr-injector's "
                  + "ClusterRole (deploy/base/rbac.yaml); not ready until then (%s)", name, describe(t));
            } else {
              LOG.warnf("cannot watch secret %s yet (%s); copies use the API directly until it works, retrying",
                  name, describe(t));
            }
          }
          return !closed;
        });
        informers.put(name, informer);
        informer.start().whenComplete((v, t) -> {
          if (t == null) {
            LOG.infof("watching secret %s in all namespaces", name);
            scheduleRotation(name);
          }
        });
      } catch (RuntimeException e) {
        LOG.warnf("cannot set up the watch of secret %s (%s); retrying in %ds", name, describe(e),
            INFORMER_SETUP_RETRY_SECONDS);
        workers.get().schedule(this::startInformers, INFORMER_SETUP_RETRY_SECONDS, TimeUnit.SECONDS);
        return;
      }
    }
  }

  /** Stops the informers, the retries and the rotation. */
  @PreDestroy
  public void close() {
    closed = true;
    informers.values().forEach(SharedIndexInformer::stop);
    jobs.values().forEach(CopyJob::cancel);
    jobs.clear();
    ExecutorService r = rotation;
    if (r != null) {
      r.shutdownNow();
    }
  }

  /** True once every informer has listed its secrets (or when copying is off); for the readiness check. */
  public boolean synced() {
    if (!settings.enabled() || settings.secretNames().isEmpty()) {
      return true;
    }
    if (informers.size() < settings.secretNames().size()) {
      return false;
    }
    return informers.values().stream().allMatch(SharedIndexInformer::hasSynced);
  }

  /** Copy jobs still running or waiting for a retry. */
  int inFlight() {
    return jobs.size();
  }

  /** What the in-memory view holds for {@code name} in {@code namespace}; for tests. */
  Secret viewed(String namespace, String name) {
    return known(namespace, name);
  }

  @Override
  public Uni<List<String>> ensure(String namespace, List<String> secrets, boolean dryRun) {
    if (!settings.enabled() || settings.protectedNamespaces().contains(namespace)) {
      return NONE;
    }
    List<String> warnings = null;
    List<Uni<String>> pending = null;
    for (String name : secrets) {
      Secret existing = known(namespace, name);
      if (existing != null) {
        String w = foreignWarning(namespace, name, existing);
        if (w != null) {
          warnings = add(warnings, w);
        }
        continue;
      }
      if (dryRun) {
        events.accept(new SecretCopyEvent(namespace, name, Outcome.DRY_RUN, "would copy from "
            + settings.sourceNamespace() + "/" + name));
        continue;
      }
      CopyJob job = jobs.computeIfAbsent(key(namespace, name), k -> new CopyJob(namespace, name));
      job.begin();
      Attempt last = job.last;
      if (job.first.isDone() && last != null) {
        // A copy that failed before is being retried in the background; say so without waiting again.
        if (last.warning() != null) {
          warnings = add(warnings, last.warning());
        }
        continue;
      }
      // The budget runs from the job's start: a pod that joins a slow first attempt does not wait it out again.
      long left = settings.budget().toNanos() - (System.nanoTime() - job.startedNanos);
      // Warnings lead with the cause and the fix and leave out the namespace, which the client knows: the
      // handler cuts them at 120 characters, and a 63-character namespace would cut the fix off.
      String slow = "copy of secret " + name + " still running after "
          + format(settings.budget()) + "; continues in the background";
      if (left <= 0) {
        warnings = add(warnings, slow);
        continue;
      }
      if (pending == null) {
        pending = new ArrayList<>();
      }
      // A stage of its own: on timeout Mutiny cancels its upstream, which must not be the job's shared future.
      CompletableFuture<String> answer = job.first.thenApply(a -> a.warning() == null ? "" : a.warning());
      pending.add(Uni.createFrom().completionStage(answer)
          .ifNoItem().after(Duration.ofNanos(left))
          .recoverWithItem(slow));
    }
    if (pending == null) {
      return warnings == null ? NONE : Uni.createFrom().item(warnings);
    }
    List<String> known = warnings == null ? List.of() : warnings;
    return Uni.join().all(pending).andFailFast().map(results -> {
      List<String> all = new ArrayList<>(known);
      for (String w : results) {
        if (!w.isEmpty()) {
          all.add(w);
        }
      }
      return List.copyOf(all);
    });
  }

  @Override
  public List<String> missing(String namespace, List<String> secrets) {
    if (!settings.enabled() || settings.protectedNamespaces().contains(namespace)) {
      return List.of();
    }
    List<String> missing = new ArrayList<>();
    for (String name : secrets) {
      if (known(namespace, name) == null) {
        missing.add(name);
      }
    }
    return missing;
  }

  // ---- copying -----------------------------------------------------------------------------------------------

  /** One try at making {@code namespace} hold {@code name}. Blocking; runs on a worker thread. */
  private Attempt attempt(String namespace, String name) {
    Secret existing = known(namespace, name);
    if (existing != null) {
      return existingAttempt(namespace, name, existing);
    }
    Secret source;
    try {
      source = source(name);
    } catch (RuntimeException e) {
      return failure(namespace, name, "get", e);
    }
    if (source == null) {
      String source0 = settings.sourceNamespace() + "/" + name;
      return Attempt.retry("source secret " + source0 + " not found; run `ibmcloud ks cluster pull-secret apply`",
          "source " + source0 + " not found");
    }
    try {
      Secret created = client.secrets().inNamespace(namespace).resource(copyOf(namespace, source)).create();
      view.learned(created);
      String version = source.getMetadata().getResourceVersion();
      LOG.infof("created secret %s in namespace %s from %s/%s (source version %s)", name, namespace,
          settings.sourceNamespace(), name, version);
      events.accept(new SecretCopyEvent(namespace, name, Outcome.CREATED, "source version " + version));
      return Attempt.DONE;
    } catch (KubernetesClientException e) {
      if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
        return failure(namespace, name, "create", e);
      }
    } catch (RuntimeException e) {
      return failure(namespace, name, "create", e);
    }
    // AlreadyExists: another replica, a concurrent attempt or a user got there first. Look at what is there.
    try {
      Secret current = client.secrets().inNamespace(namespace).withName(name).get();
      if (current == null) {
        return Attempt.retry("copy of secret " + name
            + " raced with a deletion; retried in the background", "created and deleted concurrently");
      }
      view.learned(current);
      return existingAttempt(namespace, name, current);
    } catch (RuntimeException e) {
      return failure(namespace, name, "get", e);
    }
  }

  private Attempt existingAttempt(String namespace, String name, Secret existing) {
    if (managed(existing)) {
      LOG.debugf("secret %s in namespace %s is already there", name, namespace);
      events.accept(new SecretCopyEvent(namespace, name, Outcome.EXISTS, "already present"));
      return Attempt.DONE;
    }
    String warning = foreignWarning(namespace, name, existing);
    LOG.infof("secret %s in namespace %s is not managed by icr-injector; left unchanged%s", name, namespace,
        warning == null ? "" : " (it differs from the source)");
    events.accept(new SecretCopyEvent(namespace, name, Outcome.SKIPPED_FOREIGN,
        warning == null ? "same as source" : "differs from source"));
    return new Attempt(Kind.FOREIGN, warning, "not managed by icr-injector");
  }

  /** The source, from the view once the watch has listed; from the API before that. */
  private Secret source(String name) {
    SharedIndexInformer<Secret> informer = informers.get(name);
    if (informer != null && informer.hasSynced()) {
      return known(settings.sourceNamespace(), name);
    }
    Secret source = client.secrets().inNamespace(settings.sourceNamespace()).withName(name).get();
    if (source != null) {
      view.learned(source);
    }
    return source;
  }

  private Secret copyOf(String namespace, Secret source) {
    String name = source.getMetadata().getName();
    return new SecretBuilder()
        .withNewMetadata()
          .withName(name)
          .withNamespace(namespace)
          .addToLabels(MANAGED_BY, MANAGER)
          .addToAnnotations(SOURCE_ANNOTATION, settings.sourceNamespace() + "/" + name)
          .addToAnnotations(SOURCE_VERSION_ANNOTATION, source.getMetadata().getResourceVersion())
        .endMetadata()
        .withType(SecretView.type(source))
        .withData(SecretView.data(source))
        .build();
  }

  /** Turns an API failure into a warning with its cause and its fix. */
  private Attempt failure(String namespace, String name, String verb, Throwable t) {
    KubernetesClientException k = clientException(t);
    int code = k == null ? 0 : k.getCode();
    String message = k == null || k.getStatus() == null || k.getStatus().getMessage() == null
        ? String.valueOf(t.getMessage()) : k.getStatus().getMessage();
    if (code == HttpURLConnection.HTTP_FORBIDDEN && message.contains("being terminated")) {
      return Attempt.gone("namespace " + namespace + " is terminating; secret " + name + " not copied",
          "namespace terminating");
    }
    if (code == HttpURLConnection.HTTP_NOT_FOUND && "create".equals(verb)) {
      return Attempt.gone("namespace " + namespace + " not found; secret " + name + " not copied",
          "namespace not found");
    }
    if (code == HttpURLConnection.HTTP_FORBIDDEN) {
      String where = "get".equals(verb) ? " in " + settings.sourceNamespace() : "";
      return Attempt.retry("RBAC forbids " + verb + " of secret " + name + where
          + "; grant it in icr-injector's ClusterRole", "forbidden: " + message);
    }
    if (code > 0) {
      return Attempt.retry("copy of secret " + name + " failed (HTTP " + code
          + "); retried in the background", "HTTP " + code + ": " + message);
    }
    return Attempt.retry("copy of secret " + name
        + " failed: API server unreachable; retried in the background", describe(t));
  }

  /** The warning for a same-named secret that is not ours, or null when it is ours or equals the source. */
  private String foreignWarning(String namespace, String name, Secret existing) {
    if (managed(existing)) {
      return null;
    }
    Secret source = known(settings.sourceNamespace(), name);
    if (source == null || SecretView.sameContent(source, existing)) {
      return null;
    }
    return "secret " + name + " here is not icr-injector's and differs from "
        + settings.sourceNamespace() + "/" + name + "; left unchanged";
  }

  // ---- watching and rotation ---------------------------------------------------------------------------------

  /** Feeds the view from one informer and reacts to changes of the source and of our copies. */
  private final class Watcher implements ResourceEventHandler<Secret> {
    private final String name;

    Watcher(String name) {
      this.name = name;
    }

    @Override
    public void onAdd(Secret secret) {
      changed(null, secret);
    }

    @Override
    public void onUpdate(Secret old, Secret secret) {
      changed(old, secret);
    }

    @Override
    public void onDelete(Secret secret, boolean finalStateUnknown) {
      if (!name.equals(secret.getMetadata().getName())) {
        return;
      }
      view.observedDeleted(secret);
      if (settings.sourceNamespace().equals(secret.getMetadata().getNamespace())) {
        // Copies stay: `ibmcloud ks cluster pull-secret apply` and similar tools delete and recreate the source,
        // and removing every copy meanwhile would break image pulls cluster-wide. The recreated source rotates
        // them as usual.
        LOG.infof("source secret %s/%s was deleted; its copies are left in place", settings.sourceNamespace(),
            name);
      }
    }

    private void changed(Secret old, Secret secret) {
      // Guards against an API server (or mock) that ignores the field selector.
      if (!name.equals(secret.getMetadata().getName())) {
        return;
      }
      view.observed(secret);
      String namespace = secret.getMetadata().getNamespace();
      if (settings.sourceNamespace().equals(namespace)) {
        if (old == null || !SecretView.sameContent(old, secret)) {
          jobs.values().stream().filter(j -> j.name.equals(name)).forEach(CopyJob::runNow);
          scheduleRotation(name);
        }
        return;
      }
      CopyJob job = jobs.get(key(namespace, name));
      if (job != null) {
        job.runNow();
      }
      Secret source = known(settings.sourceNamespace(), name);
      if (source != null && stale(secret, source)) {
        submitRotation(() -> refresh(namespace, name));
      }
    }
  }

  /** Whether {@code copy} is ours, in a namespace we write to, and no longer holds what its source holds. */
  private boolean stale(Secret copy, Secret source) {
    return managed(copy) && !settings.protectedNamespaces().contains(copy.getMetadata().getNamespace())
        && !SecretView.sameContent(copy, source);
  }

  private void scheduleRotation(String name) {
    submitRotation(() -> {
      Set<String> namespaces = new HashSet<>();
      view.all(name).forEach(s -> namespaces.add(s.getMetadata().getNamespace()));
      SharedIndexInformer<Secret> informer = informers.get(name);
      if (informer != null) {
        informer.getStore().list().forEach(s -> namespaces.add(s.getMetadata().getNamespace()));
      }
      namespaces.forEach(ns -> refresh(ns, name));
    });
  }

  private void submitRotation(Runnable task) {
    ExecutorService r = rotation;
    if (r == null || closed) {
      return;
    }
    try {
      r.execute(task);
    } catch (RuntimeException e) {
      LOG.debugf("rotation task dropped: %s", e.getMessage());
    }
  }

  /**
   * Brings one copy of ours in line with its source. Runs on the single rotation thread, from the latest view,
   * so that one pass never races another. The write is optimistic (the copy's resourceVersion): if someone
   * changed the copy meanwhile, the watch delivers the change and this runs again.
   */
  private void refresh(String namespace, String name) {
    Secret source = known(settings.sourceNamespace(), name);
    Secret copy = known(namespace, name);
    if (closed || source == null || copy == null || !stale(copy, source)) {
      return;
    }
    String version = source.getMetadata().getResourceVersion();
    try {
      if (!SecretView.type(copy).equals(SecretView.type(source))) {
        // A secret's type cannot change in place, and recreating it would need the right to delete every secret
        // of this name in the cluster, users' own included. Least privilege wins: say what to do instead.
        String detail = "source type is now " + SecretView.type(source) + "; delete this copy to have it recreated";
        LOG.warnf("secret %s in namespace %s: %s", name, namespace, detail);
        events.accept(new SecretCopyEvent(namespace, name, Outcome.FAILED, detail));
        return;
      }
      Secret desired = new SecretBuilder(copy)
          .editMetadata()
            .addToLabels(MANAGED_BY, MANAGER)
            .addToAnnotations(SOURCE_ANNOTATION, settings.sourceNamespace() + "/" + name)
            .addToAnnotations(SOURCE_VERSION_ANNOTATION, version)
          .endMetadata()
          .withData(SecretView.data(source))
          .withStringData(null)
          .build();
      Secret written = client.secrets().inNamespace(namespace).resource(desired).update();
      view.learned(written);
      LOG.infof("updated secret %s in namespace %s to source version %s", name, namespace, version);
      events.accept(new SecretCopyEvent(namespace, name, Outcome.UPDATED, "source version " + version));
    } catch (RuntimeException e) {
      if (e instanceof KubernetesClientException k && k.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        LOG.debugf("secret %s in namespace %s changed while being updated; re-checked on its next event", name,
            namespace);
        return;
      }
      LOG.infof("update of secret %s in namespace %s failed (%s); retried at the next resync", name, namespace,
          describe(e));
      events.accept(new SecretCopyEvent(namespace, name, Outcome.FAILED, "update: " + describe(e)));
    }
  }

  // ---- copy jobs ---------------------------------------------------------------------------------------------

  /** The outcome of one attempt: the copy is there, a foreign secret is, copying is pointless, or retry. */
  private enum Kind { DONE, FOREIGN, GONE, RETRY }

  private record Attempt(Kind kind, String warning, String detail) {
    static final Attempt DONE = new Attempt(Kind.DONE, null, "");

    static Attempt retry(String warning, String detail) {
      return new Attempt(Kind.RETRY, warning, detail);
    }

    static Attempt gone(String warning, String detail) {
      return new Attempt(Kind.GONE, warning, detail);
    }

    boolean done() {
      return kind != Kind.RETRY;
    }
  }

  /**
   * The one copy loop for a (namespace, name): concurrent admissions share it, so a burst of pods in a new
   * namespace makes one create call. Its first attempt is what admissions wait for, within their budget.
   */
  private final class CopyJob {
    final String namespace;
    final String name;
    final CompletableFuture<Attempt> first = new CompletableFuture<>();
    final long startedNanos = System.nanoTime();
    volatile Attempt last;
    private final AtomicBoolean begun = new AtomicBoolean();
    private boolean running;
    private boolean rerun;
    private boolean finished;
    private int attempts;
    private Duration delay = settings.initialBackoff();
    private ScheduledFuture<?> scheduled;

    CopyJob(String namespace, String name) {
      this.namespace = namespace;
      this.name = name;
    }

    void begin() {
      if (begun.compareAndSet(false, true)) {
        runNow();
      }
    }

    /** Runs an attempt now (or right after the running one), ahead of any scheduled retry. */
    void runNow() {
      synchronized (this) {
        if (finished || closed) {
          return;
        }
        if (running) {
          rerun = true;
          return;
        }
        running = true;
        if (scheduled != null) {
          scheduled.cancel(false);
          scheduled = null;
        }
      }
      try {
        workers.get().execute(this::attemptOnce);
      } catch (RuntimeException e) {
        finish(Attempt.retry("copy of secret " + name
            + " could not start; retried in the background", describe(e)));
      }
    }

    private void attemptOnce() {
      Attempt a;
      try {
        a = attempt(namespace, name);
      } catch (RuntimeException e) {
        a = failure(namespace, name, "create", e);
      }
      finish(a);
    }

    private void finish(Attempt a) {
      boolean again = false;
      Duration wait = null;
      int n;
      synchronized (this) {
        running = false;
        last = a;
        n = ++attempts;
        if (a.done() || closed) {
          finished = true;
        } else if (rerun) {
          rerun = false;
          again = true;
        } else {
          wait = delay;
          delay = min(delay.multipliedBy(2), settings.maxBackoff());
          try {
            scheduled = workers.get().schedule(this::runNow, wait.toMillis(), TimeUnit.MILLISECONDS);
          } catch (RuntimeException e) {
            finished = true;
          }
        }
      }
      if (!a.done()) {
        LOG.infof("copy of secret %s into namespace %s failed (attempt %d): %s; %s", name, namespace, n,
            a.detail(), again ? "retrying now" : wait == null ? "giving up" : "next try in " + format(wait));
        events.accept(new SecretCopyEvent(namespace, name, Outcome.FAILED, a.detail()));
      } else if (a.kind() == Kind.GONE) {
        LOG.infof("copy of secret %s into namespace %s abandoned: %s", name, namespace, a.detail());
      }
      synchronized (this) {
        if (finished) {
          jobs.remove(key(namespace, name), this);
        }
      }
      first.complete(a);
      if (again) {
        runNow();
      }
    }

    synchronized void cancel() {
      finished = true;
      if (scheduled != null) {
        scheduled.cancel(false);
      }
    }
  }

  // ---- helpers -----------------------------------------------------------------------------------------------

  /**
   * The live secret {@code name} in {@code namespace} as far as memory knows: the view, else the informer's store.
   * The store is filled before the informer notifies its handlers, so right after a sync (and for a moment after
   * any event) it can be ahead of the view; looking there on a miss costs no API call.
   */
  private Secret known(String namespace, String name) {
    Secret s = view.get(namespace, name);
    if (s != null) {
      return s;
    }
    SharedIndexInformer<Secret> informer = informers.get(name);
    if (informer == null) {
      return null;
    }
    s = informer.getStore().getByKey(Cache.namespaceKeyFunc(namespace, name));
    if (s != null) {
      view.learned(s);
    }
    return s;
  }

  private static boolean managed(Secret s) {
    Map<String, String> labels = s.getMetadata().getLabels();
    return labels != null && MANAGER.equals(labels.get(MANAGED_BY));
  }

  private static String key(String namespace, String name) {
    return namespace + "/" + name;
  }

  private static List<String> add(List<String> list, String item) {
    List<String> l = list == null ? new ArrayList<>(2) : list;
    l.add(item);
    return l;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static String format(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? (ms / 1000) + "s" : ms + "ms";
  }

  private static KubernetesClientException clientException(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof KubernetesClientException k) {
        return k;
      }
    }
    return null;
  }

  private static String describe(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    KubernetesClientException k = clientException(t);
    if (k != null && k.getCode() > 0) {
      return "HTTP " + k.getCode() + ": " + message;
    }
    return message.toLowerCase(Locale.ROOT).contains(root.getClass().getSimpleName().toLowerCase(Locale.ROOT))
        ? message : root.getClass().getSimpleName() + ": " + message;
  }
}
