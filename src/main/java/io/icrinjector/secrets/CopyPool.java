package io.icrinjector.secrets;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The copies' own threads, bounded: {@code maxConcurrent} for attempts plus one for watch set-up and timers. Never
 * Quarkus's worker pool: with the API server hanging, copies waiting on it there left health and metrics without a
 * thread, and the pod went NotReady while it still answered admissions. The {@link SecretReplicator} of the
 * application makes one and shuts it down on close.
 */
final class CopyPool {

  private CopyPool() {}

  /** A new pool of daemon threads named {@code icr-secret-copy-<n>}, for {@code maxConcurrent} attempts at once. */
  static ScheduledExecutorService create(int maxConcurrent) {
    AtomicInteger n = new AtomicInteger();
    ScheduledThreadPoolExecutor pool =
        new ScheduledThreadPoolExecutor(
            Math.max(1, maxConcurrent) + 1,
            r -> {
              Thread t = new Thread(r, "icr-secret-copy-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    pool.setRemoveOnCancelPolicy(true); // a kicked job's cancelled back-off timer goes at once
    return pool;
  }
}
