package io.icrinjector.secrets;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.icrinjector.kube.Clients;
import io.icrinjector.kube.KubeErrors;
import java.net.HttpURLConnection;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * The watch-backed picture of the pull secrets: one fabric8 informer per secret name, across all namespaces and
 * restricted by the field selector {@code metadata.name=<name>} (so that RBAC can grant list/watch by
 * {@code resourceNames}), feeding a {@link SecretView} (each through a {@link SecretWatchHandler}); answers "what is in
 * namespace X" without an API call. Memory holds every secret only as a {@link SlimSecret} (the informers' stores, the
 * view, what API calls return), and the informers list in pages of {@value #PAGE}, so a cluster's size costs about a
 * kilobyte per copy, never its data or its managedFields.
 */
final class SecretCache {

  /** What the cache tells the rest of the replicator; called on the informer's thread, so quick. */
  interface Listener {
    /** The source of {@code name} was added or its content changed. */
    void sourceChanged(String name);

    /** A secret of a watched name outside the source namespace was added or changed. */
    void copyChanged(Secret secret);
  }

  private static final Logger LOG = Logger.getLogger(SecretCache.class);

  /** How often the informers replay their cache; each replay re-checks every copy against its source. */
  static final long RESYNC_MILLIS = TimeUnit.MINUTES.toMillis(10);

  /** How long to wait before trying again to set up an informer whose creation or start failed. */
  static final Duration SETUP_RETRY = Duration.ofSeconds(30);

  /** Objects per page of an informer's list: a relist never holds every secret of the cluster at once. */
  static final long PAGE = 500;

  /** When to say that the informers have not synced yet. */
  static final Duration SYNC_WARNING = Duration.ofSeconds(10);

  /** For the one read of a source before its watch has listed: one request, no client retry (Clients). */
  private final KubernetesClient reads;

  private final CopySettings settings;
  private final Scheduler scheduler;
  private final Function<String, SharedIndexInformer<Secret>> informerFor;
  private final SecretView view = new SecretView();
  private final Map<String, SharedIndexInformer<Secret>> informers = new ConcurrentHashMap<>();
  private final Set<String> warned = ConcurrentHashMap.newKeySet();
  private volatile Listener listener;
  private volatile boolean closed;

  SecretCache(KubernetesClient client, CopySettings settings, Scheduler scheduler) {
    this(client, settings, scheduler, null);
  }

  /** A cache whose informers come from {@code informerFor} (tests make one fail); null for the client's own. */
  SecretCache(
      KubernetesClient client,
      CopySettings settings,
      Scheduler scheduler,
      Function<String, SharedIndexInformer<Secret>> informerFor) {
    this.reads = Clients.oneAttempt(client, settings.requestTimeout());
    this.settings = settings;
    this.scheduler = scheduler;
    this.informerFor =
        informerFor != null
            ? informerFor
            : name ->
                client
                    .secrets()
                    .inAnyNamespace()
                    .withField("metadata.name", name)
                    .withLimit(PAGE)
                    .runnableInformer(RESYNC_MILLIS);
  }

  /** Starts the informers in the background; never blocks and never fails (see {@link SecretReplicator#start}). */
  void start(Listener l) {
    this.listener = l;
    scheduler.execute(this::startInformers);
    // The informer reports a failed first list only after the client's own retries, which can take
    // minutes.
    scheduler.schedule(
        () -> {
          if (!closed && !synced()) {
            LOG.warnf(
                "the watch of secrets %s has not synced after %ds; is the API server reachable? Copies use "
                    + "the API directly meanwhile",
                settings.secretNames(), SYNC_WARNING.toSeconds());
          }
        },
        SYNC_WARNING);
  }

  private void startInformers() {
    boolean retry = false;
    for (String name : settings.secretNames()) {
      if (closed || informers.containsKey(name)) {
        continue;
      }
      SharedIndexInformer<Secret> informer = null;
      try {
        informer = informerFor.apply(name);
        // Nothing looks secrets up by namespace index (only by key), and that index costs a set per
        // namespace.
        informer
            .itemStore(new SlimStore<>(Cache::metaNamespaceKeyFunc, this::slim))
            .removeNamespaceIndex();
        informer.addEventHandler(
            new SecretWatchHandler(
                name, informer, view, settings.sourceNamespace(), () -> listener));
        // The default handler gives up when the very first list fails (start() then fails for
        // good);
        // retrying always lets the informer's own back-off reconnect once the API server answers.
        informer.exceptionHandler(
            (wasStarted, t) -> {
              if (!wasStarted && warned.add(name)) {
                if (KubeErrors.code(t) == HttpURLConnection.HTTP_FORBIDDEN) {
                  // Not transient: the webhook stays unready (readiness waits for this watch) until
                  // RBAC is fixed.
                  LOG.errorf(
                      "RBAC forbids watching secret %s: add it to the resourceNames of icr-injector's "
                          + "ClusterRole (deploy/base/rbac.yaml); not ready until then (%s)",
                      name, KubeErrors.describe(t));
                } else {
                  LOG.warnf(
                      "cannot watch secret %s yet (%s); copies use the API directly until it works, retrying",
                      name, KubeErrors.describe(t));
                }
              }
              return !closed;
            });
        informer
            .start()
            .whenComplete(
                (v, t) -> {
                  if (t == null) {
                    LOG.infof("watching secret %s in all namespaces", name);
                    Listener l = listener;
                    if (l != null) {
                      l.sourceChanged(name);
                    }
                  }
                });
        // Only a started informer counts: one whose start threw must be made again by the retry.
        informers.put(name, informer);
      } catch (RuntimeException e) {
        if (informer != null) {
          informer.stop();
        }
        LOG.warnf(
            "cannot set up the watch of secret %s (%s); retrying in %ds",
            name, KubeErrors.describe(e), SETUP_RETRY.toSeconds());
        retry = true;
      }
    }
    if (retry && !closed) {
      scheduler.schedule(this::startInformers, SETUP_RETRY);
    }
  }

  /** Stops the informers. */
  void close() {
    closed = true;
    informers.values().forEach(SharedIndexInformer::stop);
  }

  /** True once every informer has listed its secrets. */
  boolean synced() {
    return informers.size() >= settings.secretNames().size()
        && informers.values().stream().allMatch(SharedIndexInformer::hasSynced);
  }

  /**
   * The live secret {@code name} in {@code namespace} as far as memory knows: the view, else the informer's store.
   * The store is filled before the informer notifies its handlers, so right after a sync (and for a moment after
   * any event) it can be ahead of the view; looking there on a miss costs no API call.
   */
  Secret get(String namespace, String name) {
    Secret s = view.get(namespace, name);
    if (s != null) {
      return s;
    }
    SharedIndexInformer<Secret> informer = informers.get(name);
    if (informer == null) {
      return null;
    }
    s = slim(informer.getStore().getByKey(Cache.namespaceKeyFunc(namespace, name)));
    if (s != null) {
      view.learned(s);
    }
    return s;
  }

  /** The source of {@code name}: from memory once its watch has listed, from the API before that. */
  Secret source(String name) {
    SharedIndexInformer<Secret> informer = informers.get(name);
    if (informer != null && informer.hasSynced()) {
      return get(settings.sourceNamespace(), name);
    }
    Secret source =
        slim(reads.secrets().inNamespace(settings.sourceNamespace()).withName(name).get());
    if (source != null) {
      view.learned(source);
    }
    return source;
  }

  /** Every live secret called {@code name} that memory knows of, by namespace. */
  Map<String, Secret> all(String name) {
    Map<String, Secret> all = new HashMap<>();
    SharedIndexInformer<Secret> informer = informers.get(name);
    List<Secret> stored = informer == null ? List.of() : informer.getStore().list();
    stored.forEach(s -> all.put(s.getMetadata().getNamespace(), slim(s)));
    view.all(name).forEach(s -> all.put(s.getMetadata().getNamespace(), s));
    return all;
  }

  /** An API call of ours returned {@code secret} (see {@link SecretView#learned}). */
  void learned(Secret secret) {
    view.learned(slim(secret));
  }

  /** {@code secret} as memory keeps it (see {@link SlimSecret}); null for null. */
  Secret slim(Secret secret) {
    return SlimSecret.of(secret, settings.sourceNamespace());
  }
}
