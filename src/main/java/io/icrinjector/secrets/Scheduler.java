package io.icrinjector.secrets;

import java.time.Duration;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Where the replicator's blocking API calls run and its retries wait, and the clock they are measured with. The
 * application gives it the worker pool; tests give it a fake, so that back-off is checked by moving the clock
 * rather than by waiting.
 */
interface Scheduler {

  /** Runs {@code task} soon, on a thread that may block (never an I/O thread). */
  void execute(Runnable task);

  /** Runs {@code task} after {@code delay}; cancel through the returned future. */
  Future<?> schedule(Runnable task, Duration delay);

  /** The monotonic clock, in nanoseconds, that delays and budgets are measured with. */
  long nanoTime();

  /** A scheduler on an executor looked up at each use (Mutiny's worker pool is replaced between Quarkus tests). */
  static Scheduler of(Supplier<ScheduledExecutorService> pool) {
    return new Scheduler() {
      @Override
      public void execute(Runnable task) {
        pool.get().execute(task);
      }

      @Override
      public Future<?> schedule(Runnable task, Duration delay) {
        return pool.get().schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
      }

      @Override
      public long nanoTime() {
        return System.nanoTime();
      }
    };
  }
}
