package io.icrinjector.secrets;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.icrinjector.kube.KubeErrors;
import io.icrinjector.kube.Labels;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * The namespaces that carry {@code icr-injector.io/inject=enabled} now, from one watch of namespaces restricted by
 * that label, so that it holds only opted-in namespaces. Anything that reaches the webhook's Service can post a
 * review naming any namespace; the pull secret (an API key) goes only where this says, and what a forged review can
 * cause elsewhere (Events, retry jobs) is bounded by it. A NetworkPolicy would do it too, but not in every cluster.
 * Its store keeps each namespace as its name, resourceVersion and opt-in label only ({@link #slim}), and it lists in
 * pages: a namespace costs a few hundred bytes, whatever else it carries.
 */
class OptedInNamespaces {

  private static final Logger LOG = Logger.getLogger(OptedInNamespaces.class);

  private final Supplier<SharedIndexInformer<Namespace>> informerFor;

  /** Admissions waiting for a namespace labelled a moment ago that the watch has not delivered yet. */
  private final Map<String, CompletableFuture<Void>> waiters = new ConcurrentHashMap<>();

  private final int maxWaiters;
  private volatile SharedIndexInformer<Namespace> informer;
  private volatile boolean closed;

  /** The watch through {@code client}; at most {@code maxWaiters} namespaces are waited for at once. */
  OptedInNamespaces(KubernetesClient client, int maxWaiters) {
    this(
        () ->
            client
                .namespaces()
                .withLabel(Labels.INJECT, Labels.INJECT_ENABLED)
                .withLimit(SecretCache.PAGE)
                .runnableInformer(SecretCache.RESYNC_MILLIS),
        maxWaiters);
  }

  private OptedInNamespaces(Supplier<SharedIndexInformer<Namespace>> informerFor, int maxWaiters) {
    this.informerFor = informerFor;
    this.maxWaiters = maxWaiters;
  }

  /** A fixed set, always synced; for tests whose API server cannot serve the watch. */
  static OptedInNamespaces fixed(Set<String> namespaces) {
    return new OptedInNamespaces((Supplier<SharedIndexInformer<Namespace>>) null, 0) {
      @Override
      void start(Consumer<String> optedOut, Runnable heard) {}

      @Override
      boolean contains(String namespace) {
        return namespaces.contains(namespace);
      }

      @Override
      boolean synced() {
        return true;
      }
    };
  }

  /**
   * Starts the watch; never blocks. {@code optedOut} hears of a namespace that lost the label (its retries end),
   * {@code heard} of every namespace the watch delivers (a relist after a reconnect delivers them all): a sign that
   * the API server answers again.
   */
  void start(Consumer<String> optedOut, Runnable heard) {
    SharedIndexInformer<Namespace> i = informerFor.get();
    i.itemStore(new SlimStore<>(Cache::metaNamespaceKeyFunc, OptedInNamespaces::slim))
        .removeNamespaceIndex();
    i.addEventHandler(
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(Namespace ns) {
            CompletableFuture<Void> waiting = waiters.remove(ns.getMetadata().getName());
            if (waiting != null) {
              waiting.complete(null);
            }
            heard.run();
          }

          @Override
          public void onUpdate(Namespace old, Namespace ns) {
            onAdd(ns);
          }

          @Override
          public void onDelete(Namespace ns, boolean finalStateUnknown) {
            optedOut.accept(ns.getMetadata().getName());
          }
        });
    // Keep trying through a failed first list (the default gives up for good), as the secret watch
    // does.
    i.exceptionHandler(
        (wasStarted, t) -> {
          LOG.debugf(
              "the watch of opted-in namespaces failed (%s); retrying", KubeErrors.describe(t));
          return !closed;
        });
    i.start()
        .whenComplete(
            (v, t) -> {
              if (t == null) {
                LOG.infof(
                    "watching namespaces labelled %s=%s", Labels.INJECT, Labels.INJECT_ENABLED);
              }
            });
    informer = i;
  }

  /**
   * What the store keeps of a namespace: its name, resourceVersion (the informer compares it) and opt-in label. The
   * handlers read only the name, so the whole namespace that the watch hands them is kept nowhere. Applied to its
   * own result it gives an equal namespace, as the store needs.
   */
  static Namespace slim(Namespace ns) {
    ObjectMeta from = ns.getMetadata();
    ObjectMeta meta = new ObjectMeta();
    meta.setName(from.getName());
    meta.setResourceVersion(from.getResourceVersion());
    String label = from.getLabels() == null ? null : from.getLabels().get(Labels.INJECT);
    meta.setLabels(label == null ? null : Map.of(Labels.INJECT, label.intern()));
    meta.setAnnotations(null);
    meta.setFinalizers(null);
    meta.setManagedFields(null);
    meta.setOwnerReferences(null);
    meta.setAdditionalProperties(null);
    Namespace slim = new Namespace();
    slim.setMetadata(meta);
    slim.setSpec(null);
    slim.setStatus(null);
    slim.setAdditionalProperties(null);
    return slim;
  }

  /** Whether {@code namespace} is opted in as far as the watch knows; no API call. */
  boolean contains(String namespace) {
    SharedIndexInformer<Namespace> i = informer;
    return i != null && i.getStore().getByKey(namespace) != null;
  }

  /** True once the watch has listed the opted-in namespaces; readiness waits for it. */
  boolean synced() {
    SharedIndexInformer<Namespace> i = informer;
    return i != null && i.hasSynced();
  }

  /**
   * Completes when the watch delivers {@code namespace} (labelled a moment ago, e.g. by a script that labels and
   * creates a pod at once); null when too many namespaces are waited for already. The caller bounds the wait.
   */
  CompletableFuture<Void> appearance(String namespace) {
    if (waiters.size() >= maxWaiters && !waiters.containsKey(namespace)) {
      return null;
    }
    CompletableFuture<Void> f = waiters.computeIfAbsent(namespace, k -> new CompletableFuture<>());
    if (contains(namespace)) {
      waiters.remove(namespace, f);
      f.complete(null);
    }
    return f;
  }

  /** Stops waiting for {@code namespace} (its admission gave up). */
  void giveUp(String namespace, CompletableFuture<Void> waited) {
    waiters.remove(namespace, waited);
  }

  void close() {
    closed = true;
    SharedIndexInformer<Namespace> i = informer;
    if (i != null) {
      i.stop();
    }
  }
}
