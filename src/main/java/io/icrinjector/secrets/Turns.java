package io.icrinjector.secrets;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * At most {@code max} copy attempts in flight ({@code icr.secret-copy.max-concurrent}); the jobs past it wait their
 * turn, in order, and each ending attempt hands its slot to the oldest waiting one.
 *
 * @param <T> what waits (a copy job)
 */
final class Turns<T> {

  private final int max;
  private final Deque<T> waiting = new ArrayDeque<>();
  private int inFlight;

  Turns(int max) {
    this.max = max;
  }

  /** True when {@code job} may start now (it holds a slot); false when it was queued for the next free one. */
  synchronized boolean enter(T job) {
    if (inFlight >= max) {
      waiting.addLast(job);
      return false;
    }
    inFlight++;
    return true;
  }

  /** Ends one attempt: the job that now holds its slot (start it), or null when none waited (the slot is free). */
  synchronized T leave() {
    T next = waiting.pollFirst();
    if (next == null) {
      inFlight--;
    }
    return next;
  }
}
