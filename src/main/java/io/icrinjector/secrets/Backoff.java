package io.icrinjector.secrets;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * One copy job's waits between failed attempts: exponential from {@code initial}, doubling up to {@code max}, each
 * with equal jitter (half the nominal delay for sure, the other half at random), so that jobs that failed together
 * do not retry together. Not thread-safe: its job guards it.
 */
final class Backoff {

  private final Duration initial;
  private final Duration max;
  private final DoubleSupplier random;
  private Duration delay;

  /** @param random uniform in [0, 1] */
  Backoff(Duration initial, Duration max, DoubleSupplier random) {
    this.initial = initial;
    this.max = max;
    this.random = random;
    this.delay = initial;
  }

  /** The wait before the next attempt; the one after will be twice as long, up to {@code max}. */
  Duration next() {
    long half = delay.toNanos() / 2;
    Duration wait = Duration.ofNanos(delay.toNanos() - half + (long) (half * random.getAsDouble()));
    delay = delay.multipliedBy(2).compareTo(max) <= 0 ? delay.multipliedBy(2) : max;
    return wait;
  }

  /** Starts over from {@code initial}. */
  void reset() {
    delay = initial;
  }
}
