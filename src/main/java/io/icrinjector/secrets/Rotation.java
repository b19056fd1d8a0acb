package io.icrinjector.secrets;

import io.fabric8.kubernetes.api.model.Secret;
import io.icrinjector.secrets.SecretCopyEvent.Outcome;
import java.net.HttpURLConnection;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Keeps copies in step with their source: an ordinary reconcile of every copy of ours against its source, run when
 * the source changes, when a copy changes, and at each resync of the watch. Reconciles run one at a time on a thread
 * of their own, from the latest cache, so that one pass never races another; a failed update is loud (WARN, the
 * {@code FAILED} metric and a Warning Event) and retried at the next change or resync.
 */
final class Rotation {

  private static final Logger LOG = Logger.getLogger(Rotation.class);

  private final SecretCache cache;
  private final CopyWriter writer;
  private final CopySettings settings;
  private final Consumer<SecretCopyEvent> events;
  /** Per copy, the (copy version, source version) whose type mismatch was last reported: said once, not per resync. */
  private final Map<String, String> typeMismatchReported = new ConcurrentHashMap<>();
  private volatile ExecutorService thread;

  Rotation(SecretCache cache, CopyWriter writer, CopySettings settings, Consumer<SecretCopyEvent> events) {
    this.cache = cache;
    this.writer = writer;
    this.settings = settings;
    this.events = events;
  }

  void start() {
    thread = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "icr-secret-rotation");
      t.setDaemon(true);
      return t;
    });
  }

  void close() {
    ExecutorService t = thread;
    thread = null;
    if (t != null) {
      t.shutdownNow();
    }
  }

  /** Reconciles, in the background, every copy of {@code name} that memory knows of. */
  void all(String name) {
    submit(() -> cache.all(name).keySet().forEach(ns -> reconcile(ns, name)));
  }

  /** Reconciles, in the background, the copy of {@code name} in {@code namespace}. */
  void one(String namespace, String name) {
    submit(() -> reconcile(namespace, name));
  }

  private void submit(Runnable task) {
    ExecutorService t = thread;
    if (t == null) {
      return;
    }
    try {
      t.execute(task);
    } catch (RuntimeException e) {
      LOG.debugf("rotation task dropped: %s", e.getMessage());
    }
  }

  /**
   * Brings the copy of {@code name} in {@code namespace} in line with its source, if it is ours, in a namespace we
   * write to, and differs. The write is optimistic (the copy's resourceVersion): if someone changed the copy
   * meanwhile, the watch delivers the change and this runs again.
   */
  void reconcile(String namespace, String name) {
    Secret source = cache.get(settings.sourceNamespace(), name);
    Secret copy = cache.get(namespace, name);
    if (source == null || copy == null || !Ownership.isOurs(copy)
        || settings.protectedNamespaces().contains(namespace) || SecretView.sameContent(copy, source)) {
      return;
    }
    String key = namespace + "/" + name;
    String version = source.getMetadata().getResourceVersion();
    if (!SecretView.type(copy).equals(SecretView.type(source))) {
      // A secret's type cannot change in place, and recreating it would need the right to delete every secret of
      // this name in the cluster, users' own included. Least privilege wins: say what to do instead, once per
      // state of the pair, since nothing changes until someone acts (every resync would repeat it otherwise).
      String state = copy.getMetadata().getResourceVersion() + "/" + version;
      if (!Objects.equals(typeMismatchReported.put(key, state), state)) {
        String detail = "source type is now " + SecretView.type(source) + "; delete this copy to have it recreated";
        LOG.warnf("secret %s in namespace %s: %s", name, namespace, detail);
        events.accept(new SecretCopyEvent(namespace, name, Outcome.FAILED, detail));
      }
      return;
    }
    typeMismatchReported.remove(key);
    try {
      cache.learned(writer.update(copy, source));
      LOG.infof("updated secret %s in namespace %s to source version %s", name, namespace, version);
      events.accept(new SecretCopyEvent(namespace, name, Outcome.UPDATED, "source version " + version));
    } catch (RuntimeException e) {
      if (KubeErrors.code(e) == HttpURLConnection.HTTP_CONFLICT) {
        LOG.debugf("secret %s in namespace %s changed while being updated; re-checked on its next event", name,
            namespace);
        return;
      }
      String detail = KubeErrors.code(e) == HttpURLConnection.HTTP_FORBIDDEN
          ? "update forbidden by RBAC; grant update of secret " + name + " in icr-injector's ClusterRole ("
              + KubeErrors.message(e) + ")"
          : "update: " + KubeErrors.describe(e);
      LOG.warnf("copy of secret %s in namespace %s does not follow its source version %s: %s; retried at the next "
          + "change or resync", name, namespace, version, detail);
      events.accept(new SecretCopyEvent(namespace, name, Outcome.FAILED, detail));
    }
  }
}
