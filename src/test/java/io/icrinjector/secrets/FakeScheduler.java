package io.icrinjector.secrets;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

/**
 * A {@link Scheduler} on a clock that moves only when the test says so: {@link #execute} queues a task for now,
 * {@link #schedule} for later, and {@link #advance} runs, in order and on the test's thread, what falls due.
 */
final class FakeScheduler implements Scheduler {

  private record Task(long dueNanos, long seq, Runnable run, CompletableFuture<Void> handle) {}

  private final List<Task> queue = new ArrayList<>();

  /** Every delay passed to {@link #schedule}, in order. */
  final List<Duration> delays = new ArrayList<>();

  private long now;
  private long seq;

  @Override
  public synchronized void execute(Runnable task) {
    queue.add(new Task(now, seq++, task, new CompletableFuture<>()));
  }

  @Override
  public synchronized Future<?> schedule(Runnable task, Duration delay) {
    delays.add(delay);
    Task t = new Task(now + delay.toNanos(), seq++, task, new CompletableFuture<>());
    queue.add(t);
    return t.handle();
  }

  @Override
  public synchronized long nanoTime() {
    return now;
  }

  /** Moves the clock by {@code d}, running every task that falls due (and those they queue for then). */
  void advance(Duration d) {
    long until;
    synchronized (this) {
      until = now + d.toNanos();
    }
    while (true) {
      Task next;
      synchronized (this) {
        next =
            queue.stream()
                .filter(t -> t.dueNanos() <= until)
                .min(Comparator.comparingLong(Task::dueNanos).thenComparingLong(Task::seq))
                .orElse(null);
        if (next == null) {
          now = until;
          return;
        }
        queue.remove(next);
        now = Math.max(now, next.dueNanos());
      }
      if (!next.handle().isCancelled()) {
        next.run().run();
      }
    }
  }

  /** Moves the clock by {@code d} without running anything: time spent while a task is still queued. */
  synchronized void skip(Duration d) {
    now += d.toNanos();
  }

  /** Runs what is due now. */
  void runDue() {
    advance(Duration.ZERO);
  }

  /** Tasks waiting (cancelled ones included until they fall due). */
  synchronized int waiting() {
    return (int) queue.stream().filter(t -> !t.handle().isCancelled()).count();
  }
}
