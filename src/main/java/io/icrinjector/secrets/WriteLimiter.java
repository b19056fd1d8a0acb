package io.icrinjector.secrets;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The one client-side rate limit on the replicator's writes (creates and updates of copies, Kubernetes Events): a
 * token bucket holding up to {@code burst} tokens, refilled at {@code perSecond}; a write takes one token, or waits
 * until there is one. client-go puts such a bucket (QPS, Burst) in every client; fabric8 7.5 has none (its Config
 * only bounds concurrent requests, {@code maxConcurrentRequests}, which says nothing of a rate) and neither does
 * Quarkus's client extension, hence this class. Without it one rotation of 3,900 copies made 7,800 writes in 19 s,
 * peaking at 473 requests/s from one replica.
 *
 * <p>Two priorities, so that a pod's copy never queues behind a rotation: {@link Priority#ADMISSION} (a copy a pod
 * is waiting for) takes any token; {@link Priority#BACKGROUND} (a rotation's update, an Event) takes one only while
 * more than {@link #reserve} would be left. The reserve (half the burst) stays for admissions however long a
 * rotation runs, and while admission writes come faster than the refill the level stays under it, so background
 * writes wait until they stop: strict priority, without a queue of waiters to keep. A rotation still gets the full
 * rate in steady state (it only runs with a lower level), and the total never passes {@code burst} plus
 * {@code perSecond} per second.
 *
 * <p>Renewals of the rotation Lease do not come here: they must stay on time whatever the copies do, and they are
 * one request every few seconds. Reads are not limited either (a get after a create's 409, a source read before the
 * watch lists).
 */
final class WriteLimiter {

  /** Who is writing. */
  enum Priority {
    /** A copy that an admission (or its background retry) is waiting for: it goes first. */
    ADMISSION,
    /** A rotation's update, an Event: waits while admissions need the tokens. */
    BACKGROUND
  }

  /** How a caller waits; tests move a fake clock instead of sleeping. */
  @FunctionalInterface
  interface Sleeper {
    void sleep(long nanos) throws InterruptedException;
  }

  private final double perNano;
  private final double burst;
  private final double reserve;
  private final LongSupplier clock;
  private final Sleeper sleeper;
  private double tokens;
  private long last;
  private long taken;

  /** A limiter on the real clock. */
  WriteLimiter(double perSecond, int burst) {
    this(perSecond, burst, System::nanoTime, nanos -> TimeUnit.NANOSECONDS.sleep(nanos));
  }

  /**
   * @param perSecond tokens added per second (writes per second in steady state), positive
   * @param burst most tokens held, at least 1; the bucket starts full
   * @param clock monotonic nanoseconds
   * @param sleeper waits the given nanoseconds
   */
  WriteLimiter(double perSecond, int burst, LongSupplier clock, Sleeper sleeper) {
    if (!(perSecond > 0) || burst < 1) {
      throw new IllegalArgumentException(
          "rate " + perSecond + "/s and burst " + burst + " must be positive");
    }
    this.perNano = perSecond / TimeUnit.SECONDS.toNanos(1);
    this.burst = burst;
    this.reserve = Math.floor(burst / 2.0);
    this.clock = clock;
    this.sleeper = sleeper;
    this.tokens = burst;
    this.last = clock.getAsLong();
  }

  /** A limiter that never waits; for tests that count no writes. */
  static WriteLimiter unlimited() {
    return new WriteLimiter(1e9, Integer.MAX_VALUE, () -> 0L, nanos -> {});
  }

  /**
   * Takes a token for one write, waiting as long as it takes.
   *
   * @throws WriteCancelledException when the thread is interrupted while it waits (the replicator is closing)
   */
  void acquire(Priority priority) {
    long wait;
    while ((wait = tryAcquire(priority)) > 0) {
      try {
        sleeper.sleep(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new WriteCancelledException();
      }
    }
  }

  /** Takes a token if {@code priority} may write now and returns 0; else returns the nanoseconds to wait first. */
  synchronized long tryAcquire(Priority priority) {
    long now = clock.getAsLong();
    tokens = Math.min(burst, tokens + (now - last) * perNano);
    last = now;
    double needed = priority == Priority.ADMISSION ? 1 : 1 + reserve;
    if (tokens >= needed) {
      tokens -= 1;
      taken++;
      return 0;
    }
    return Math.max(1, (long) Math.ceil((needed - tokens) / perNano));
  }

  /** Writes let through since the start. */
  synchronized long taken() {
    return taken;
  }

  /** The tokens held for admissions: background writes leave at least this many. */
  double reserve() {
    return reserve;
  }

  /** Thrown by {@link #acquire} when the waiting thread is interrupted; nothing was written. */
  static final class WriteCancelledException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    WriteCancelledException() {
      super("write cancelled while waiting for the rate limit (icr.secret-copy.writes-per-second)");
    }
  }
}
