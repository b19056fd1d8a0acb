package io.icrinjector.secrets;

import io.fabric8.kubernetes.api.model.Secret;
import io.icrinjector.kube.KubeErrors;
import io.icrinjector.kube.Labels;
import io.icrinjector.secrets.SecretCopyEvent.Outcome;
import java.net.HttpURLConnection;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Keeps copies in step with their source: an ordinary reconcile of every copy of ours against its source, run when
 * the source changes, when a copy changes, at each resync of the watch and when this replica becomes the writer.
 * Reconciles run one at a time on a thread of their own, from the latest cache, so that one pass never races
 * another; a failed update is loud (WARN, the {@code FAILED} metric and a Warning Event on the copy's namespace) and
 * retried at the next change or resync.
 *
 * <p>Only the replica that {@code leads} (holds the rotation Lease, {@link RotationLeader}) writes; the others only
 * keep count of the copies that differ from their source ({@link #pending}). A pass over every copy ends with one
 * {@code ROTATED} outcome on the source (updated, failed, skipped), not one Event per copy. Each update goes through
 * the {@link WriteLimiter} and is optimistic (the copy's resourceVersion): two writers that overlap for a moment
 * (a leader that lost its Lease mid-write) cannot both change one copy for one source version, as the second gets
 * 409 Conflict.
 */
final class Rotation {

  /** What one reconcile did. */
  enum Result {
    /** Nothing to do: in step, not ours, in a protected namespace, or no source. */
    UNCHANGED,
    /** Brought in line with its source. */
    UPDATED,
    /** Differs and could not be written (refused, type changed); said per copy, retried at the next change. */
    FAILED,
    /** Differs and left for later: not the writer, changed meanwhile (409), or shutting down. */
    SKIPPED
  }

  private static final Logger LOG = Logger.getLogger(Rotation.class);

  private final SecretCache cache;
  private final CopyWriter writer;
  private final CopySettings settings;
  private final Consumer<SecretCopyEvent> events;
  private final BooleanSupplier leads;

  /** Per copy, the (copy version, source version) whose type mismatch was last reported: said once, not per resync. */
  private final Map<String, String> typeMismatchReported = new ConcurrentHashMap<>();

  /** Copies (namespace/name) known to differ from their source and not yet written. */
  private final Set<String> stale = ConcurrentHashMap.newKeySet();

  private volatile ExecutorService thread;

  /** A rotation that always writes (one replica, or tests). */
  Rotation(
      SecretCache cache,
      CopyWriter writer,
      CopySettings settings,
      Consumer<SecretCopyEvent> events) {
    this(cache, writer, settings, events, () -> true);
  }

  /** @param leads whether this replica writes rotations now (holds the Lease) */
  Rotation(
      SecretCache cache,
      CopyWriter writer,
      CopySettings settings,
      Consumer<SecretCopyEvent> events,
      BooleanSupplier leads) {
    this.cache = cache;
    this.writer = writer;
    this.settings = settings;
    this.events = events;
    this.leads = leads;
  }

  void start() {
    thread =
        Executors.newSingleThreadExecutor(
            r -> {
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

  /** Reconciles, in the background, every copy of {@code name} that memory knows of ({@link #pass}). */
  void all(String name) {
    submit(() -> pass(name));
  }

  /**
   * Reconciles every copy of {@code name} that memory knows of, then, if this replica writes and the pass found any
   * copy out of step, fires one {@code ROTATED} outcome on the source with the counts.
   */
  void pass(String name) {
    int[] counts = new int[Result.values().length];
    long started = System.nanoTime();
    for (String namespace : cache.all(name).keySet()) {
      if (Thread.currentThread().isInterrupted()) {
        return; // closing: the next writer's first pass picks up the rest
      }
      counts[reconcile(namespace, name).ordinal()]++;
    }
    int updated = counts[Result.UPDATED.ordinal()];
    int failed = counts[Result.FAILED.ordinal()];
    int skipped = counts[Result.SKIPPED.ordinal()];
    if (updated + failed + skipped == 0 || !leads.getAsBoolean() && updated == 0) {
      return; // in step, or not the writer: the writer says what happened
    }
    Secret source = cache.get(settings.sourceNamespace(), name);
    String version = source == null ? "?" : source.getMetadata().getResourceVersion();
    String detail =
        "updated "
            + updated
            + ", failed "
            + failed
            + ", skipped "
            + skipped
            + " (source version "
            + version
            + ")";
    LOG.infof(
        "rotation of secret %s/%s: %s in %d ms",
        settings.sourceNamespace(), name, detail, (System.nanoTime() - started) / 1_000_000);
    events.accept(new SecretCopyEvent(settings.sourceNamespace(), name, Outcome.ROTATED, detail));
  }

  /**
   * Copies known to differ from their source and not yet written; copies deleted meanwhile are forgotten here.
   * Cheap when all is in step (the set is empty).
   */
  int pending() {
    stale.removeIf(
        key -> {
          int slash = key.indexOf('/');
          return cache.get(key.substring(0, slash), key.substring(slash + 1)) == null;
        });
    return stale.size();
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
  Result reconcile(String namespace, String name) {
    Secret source = cache.get(settings.sourceNamespace(), name);
    Secret copy = cache.get(namespace, name);
    String key = namespace + "/" + name;
    if (source == null
        || copy == null
        || !Labels.isOurs(copy)
        || settings.protectedNamespaces().contains(namespace)
        || SecretView.sameContent(copy, source)) {
      stale.remove(key);
      return Result.UNCHANGED;
    }
    stale.add(key);
    if (!leads.getAsBoolean()) {
      return Result.SKIPPED;
    }
    String version = source.getMetadata().getResourceVersion();
    if (!SecretView.type(copy).equals(SecretView.type(source))) {
      // A secret's type cannot change in place, and recreating it would need the right to delete
      // every secret of
      // this name in the cluster, users' own included. Least privilege wins: say what to do
      // instead, once per
      // state of the pair, since nothing changes until someone acts (every resync would repeat it
      // otherwise).
      String state = copy.getMetadata().getResourceVersion() + "/" + version;
      if (!Objects.equals(typeMismatchReported.put(key, state), state)) {
        String detail =
            "source type is now "
                + SecretView.type(source)
                + "; delete this copy to have it recreated";
        LOG.warnf("secret %s in namespace %s: %s", name, namespace, detail);
        events.accept(new SecretCopyEvent(namespace, name, Outcome.FAILED, detail));
      }
      return Result.FAILED;
    }
    typeMismatchReported.remove(key);
    try {
      cache.learned(writer.update(copy, source));
      stale.remove(key);
      LOG.infof("updated secret %s in namespace %s to source version %s", name, namespace, version);
      events.accept(
          new SecretCopyEvent(namespace, name, Outcome.UPDATED, "source version " + version));
      return Result.UPDATED;
    } catch (WriteLimiter.WriteCancelledException e) {
      return Result.SKIPPED; // shutting down
    } catch (RuntimeException e) {
      if (KubeErrors.code(e) == HttpURLConnection.HTTP_CONFLICT) {
        // Someone wrote it since our cache saw it (a previous writer, a user): its watch event
        // brings it back here.
        LOG.infof(
            "secret %s in namespace %s changed while being updated; re-checked on its next event",
            name, namespace);
        return Result.SKIPPED;
      }
      String detail =
          KubeErrors.code(e) == HttpURLConnection.HTTP_FORBIDDEN
              ? "update forbidden by RBAC; grant patch of secret "
                  + name
                  + " in icr-injector's ClusterRole ("
                  + KubeErrors.message(e)
                  + ")"
              : "update: " + KubeErrors.describe(e);
      LOG.warnf(
          "copy of secret %s in namespace %s does not follow its source version %s: %s; retried at the next "
              + "change or resync",
          name, namespace, version, detail);
      events.accept(new SecretCopyEvent(namespace, name, Outcome.FAILED, detail));
      return Result.FAILED;
    }
  }
}
