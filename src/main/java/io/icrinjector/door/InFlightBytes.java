package io.icrinjector.door;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The review bytes the door holds at once, and their bound ({@code icr.max-bytes-in-flight}). A review reserves
 * its size when its headers arrive, before any of its body is read, and gives it back when its exchange ends
 * (answered, refused or cut off). A review that would take the total past the bound is not read at all: it gets
 * 503 with {@code Retry-After}, and the API server applies the webhook's failurePolicy. This is what keeps the
 * heap bounded whatever the concurrency: the work for one review is bounded by its size (and by
 * {@link io.icrinjector.engine.ReviewReader#MAX_LIST_ENTRIES}), so the sum over the reviews in flight is too.
 *
 * <p>One review is always let in when none is in flight, so a bound below the body limit never locks every
 * review out.
 */
final class InFlightBytes {

  private final long bound;
  private final AtomicLong held = new AtomicLong();

  InFlightBytes(long bound) {
    this.bound = bound;
  }

  /** Reserves {@code bytes}; false, reserving nothing, when that would pass the bound. */
  boolean tryReserve(long bytes) {
    while (true) {
      long now = held.get();
      if (now > 0 && now + bytes > bound) {
        return false;
      }
      if (held.compareAndSet(now, now + bytes)) {
        return true;
      }
    }
  }

  void release(long bytes) {
    held.addAndGet(-bytes);
  }

  /** The bytes reserved now. */
  long held() {
    return held.get();
  }

  long bound() {
    return bound;
  }
}
