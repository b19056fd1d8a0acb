package io.icrinjector.secrets;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * Copies refused a job because {@code maxPending} were pending ({@link CopyJobs#defer}), oldest first: each becomes a
 * job when one ends, so that no namespace is left without its secret because it came during a flood. Only the
 * replicator's opted-in path defers, so this holds at most (opted-in namespaces x pull-secret names) entries.
 */
final class DeferredCopies {

  private final LinkedHashMap<String, String[]> waiting = new LinkedHashMap<>();

  /** Remembers (namespace, name); false when it waits already. */
  synchronized boolean add(String namespace, String name) {
    return waiting.putIfAbsent(namespace + "/" + name, new String[] {namespace, name}) == null;
  }

  /**
   * If a copy waits and {@code room} says there is room for a job, removes the oldest and returns what {@code start}
   * makes of its (namespace, name); else null. Both run under this queue's lock, so two callers never both take the
   * last free place.
   */
  synchronized <T> T startOldest(BooleanSupplier room, Function<String[], T> start) {
    if (waiting.isEmpty() || !room.getAsBoolean()) {
      return null;
    }
    Iterator<String[]> oldest = waiting.values().iterator();
    String[] next = oldest.next();
    oldest.remove();
    return start.apply(next);
  }

  synchronized int size() {
    return waiting.size();
  }

  synchronized void clear() {
    waiting.clear();
  }
}
