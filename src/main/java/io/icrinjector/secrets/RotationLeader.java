package io.icrinjector.secrets;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfig;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.icrinjector.kube.KubeErrors;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Elects the one replica that writes rotations, with fabric8's {@code LeaderElector} on a {@code coordination.k8s.io}
 * Lease in the webhook's namespace (the pattern of client-go's leaderelection: lease 15 s, renew deadline 10 s,
 * retry 2 s). Every replica answers admissions and makes the copies they need (creates are idempotent: create, 409,
 * read); only the leader rewrites copies when their source rotates or a resync finds one out of step. With two
 * replicas each reconciling every copy, a rotation of 3,100 copies made 2,720 updates that failed with 409.
 *
 * <p>When the leader dies, its Lease runs out and another replica takes it within about 15 s and reconciles every
 * copy; copies the old leader had written are in step by then (or answer 409), so none is written twice for one
 * source version. A leader that cannot renew for 10 s (API server unreachable, a long pause) stops writing before
 * anyone else may start. When no replica reaches the API server nobody holds the Lease and nobody rotates; that is
 * fine, since a rotation needs the API server anyway, and the first replica that reaches it catches up.
 *
 * <p>fabric8's elector runs one term: after it loses the Lease it stops. This class starts a new one each time, until
 * {@link #close}. The Lease's own requests do not go through the {@link WriteLimiter}: they must stay on time.
 */
final class RotationLeader {

  static final Duration LEASE_DURATION = Duration.ofSeconds(15);
  static final Duration RENEW_DEADLINE = Duration.ofSeconds(10);
  static final Duration RETRY_PERIOD = Duration.ofSeconds(2);

  private static final Logger LOG = Logger.getLogger(RotationLeader.class);

  private final KubernetesClient client;
  private final String namespace;
  private final String name;
  private final String identity;
  private final Runnable onStart;
  private volatile boolean leading;
  private volatile boolean closed;
  private volatile CompletableFuture<?> term;
  private ScheduledExecutorService timer;
  private ExecutorService electorThread;

  /**
   * @param client the client the Lease is read and written with (one request per call, short timeout: Clients)
   * @param namespace the Lease's namespace; null: no election, this replica always leads
   * @param name the Lease's name
   * @param onStart runs when this replica becomes the leader (on the elector's thread: quick)
   */
  RotationLeader(KubernetesClient client, String namespace, String name, Runnable onStart) {
    this.client = client;
    this.namespace = namespace;
    this.name = name;
    this.onStart = onStart;
    this.identity = identity();
    this.leading = namespace == null;
  }

  /** This replica's name in the Lease: the pod's name, and a suffix that tells one start of it from the next. */
  static String identity() {
    String host = System.getenv("HOSTNAME");
    return (host == null || host.isBlank() ? "icr-injector" : host)
        + "_"
        + UUID.randomUUID().toString().substring(0, 8);
  }

  /** Whether this replica writes rotations now. */
  boolean leading() {
    return leading;
  }

  /** Whether replicas elect a writer (false: this one always writes). */
  boolean elects() {
    return namespace != null;
  }

  /** The name this replica holds the Lease under. */
  String identityInLease() {
    return identity;
  }

  /** Starts campaigning in the background; never blocks. */
  synchronized void start() {
    if (namespace == null || timer != null || closed) {
      return;
    }
    timer = Executors.newSingleThreadScheduledExecutor(daemon("icr-rotation-lease-timer"));
    electorThread = Executors.newSingleThreadExecutor(daemon("icr-rotation-lease"));
    LOG.infof(
        "campaigning for lease %s/%s as %s: only its holder rewrites copies on rotation",
        namespace, name, identity);
    campaign();
  }

  /** Synchronized with {@link #close}: a term started after close read {@code term} would never be cancelled. */
  private synchronized void campaign() {
    if (closed) {
      return;
    }
    LeaderElectionConfig config =
        new LeaderElectionConfigBuilder()
            .withName(name)
            .withLock(new LeaseLock(namespace, name, identity))
            .withLeaseDuration(LEASE_DURATION)
            .withRenewDeadline(RENEW_DEADLINE)
            .withRetryPeriod(RETRY_PERIOD)
            // A replica that shuts down hands over at once rather than after the lease runs out.
            .withReleaseOnCancel(true)
            .withLeaderCallbacks(new LeaderCallbacks(this::started, this::stopped, this::observed))
            .build();
    try {
      CompletableFuture<?> f = new LeaderElector(client, config, electorThread).start();
      term = f;
      f.whenComplete(
          (v, t) -> {
            stopped();
            // One term ended (the Lease was lost or could not be renewed): stand again.
            campaignLater();
          });
    } catch (RuntimeException e) {
      LOG.warnf(
          "cannot campaign for lease %s/%s (%s); trying again in %ds",
          namespace, name, KubeErrors.describe(e), RETRY_PERIOD.toSeconds());
      campaignLater();
    }
  }

  /** The next campaign after {@link #RETRY_PERIOD}; none once closed (the timer is shut down then). */
  private synchronized void campaignLater() {
    if (!closed) {
      timer.schedule(this::campaign, RETRY_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private void started() {
    if (closed) {
      return;
    }
    leading = true;
    LOG.infof(
        "this replica (%s) holds lease %s/%s: it rewrites copies on rotation",
        identity, namespace, name);
    onStart.run();
  }

  private void stopped() {
    if (leading && namespace != null) {
      leading = false;
      LOG.infof(
          "this replica (%s) no longer holds lease %s/%s: it stops rewriting copies",
          identity, namespace, name);
    }
  }

  private void observed(String holder) {
    if (holder != null && !holder.equals(identity)) {
      LOG.infof(
          "lease %s/%s is held by %s: that replica rewrites copies on rotation",
          namespace, name, holder);
    }
  }

  /** Stops campaigning and, if this replica leads, releases the Lease so that another takes over at once. */
  void close() {
    ExecutorService thread;
    ScheduledExecutorService t;
    CompletableFuture<?> f;
    synchronized (this) {
      closed = true;
      thread = electorThread;
      t = timer;
      f = term;
    }
    if (f != null) {
      f.cancel(true); // releaseOnCancel: the elector writes an empty holder, on its own thread
    }
    leading = namespace == null;
    if (t != null) {
      t.shutdownNow();
    }
    if (thread != null) {
      thread.shutdown();
      try {
        thread.awaitTermination(2, TimeUnit.SECONDS); // let the release reach the API server
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String threadName) {
    return r -> {
      Thread t = new Thread(r, threadName);
      t.setDaemon(true);
      return t;
    };
  }
}
