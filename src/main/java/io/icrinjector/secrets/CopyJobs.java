package io.icrinjector.secrets;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;

/**
 * Runs the copy jobs ({@link CopyJob}): one per (namespace, name), shared by every admission that needs it, so
 * that a burst of pods in a new namespace makes one create call. A job runs attempts on the {@link Scheduler} until
 * one finishes it; after a failed one it waits with exponential back-off ({@code initial} doubling up to {@code
 * max}), unless something worth a retry happens first ({@link #kick}). Each failed attempt is logged and fired as
 * {@code FAILED}; a job given up because its namespace is gone fires {@code ABANDONED}.
 *
 * <p>This is the one retry policy of a copy (the client's own request retry is off: one attempt is one request).
 * Each wait has equal jitter (between half and all of the nominal delay), so that jobs that failed together do not
 * retry together; at most {@code maxConcurrent} attempts are in flight, the others wait their turn in order; at most
 * {@code maxPending} jobs exist at once. A sign that the API server works again ({@link #recovered}) runs every
 * waiting job at once, from the first back-off again, rather than after up to {@code max} of waiting.
 */
final class CopyJobs {

  // What every job runs with (read by CopyJob).
  final Scheduler scheduler;
  final BiFunction<String, String, Attempt> attempt;
  final Consumer<SecretCopyEvent> events;
  final Turns<CopyJob> turns;

  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final ConcurrentHashMap<String, CopyJob> jobs = new ConcurrentHashMap<>();
  private final DeferredCopies deferred = new DeferredCopies();
  private final int maxPending;
  private final DoubleSupplier random;
  private final Object recovery = new Object();

  /** When {@link #recovered} last ran the waiting jobs; it does so at most once per initial back-off. */
  private long lastRecovery = Long.MIN_VALUE;

  /** Set by {@link #close}: no job starts an attempt after it. */
  volatile boolean closed;

  /** Jobs without bounds or jitter; for tests of the back-off itself. */
  CopyJobs(
      Scheduler scheduler,
      Duration initialBackoff,
      Duration maxBackoff,
      BiFunction<String, String, Attempt> attempt,
      Consumer<SecretCopyEvent> events) {
    this(
        scheduler,
        initialBackoff,
        maxBackoff,
        Integer.MAX_VALUE,
        Integer.MAX_VALUE,
        () -> 1.0,
        attempt,
        events);
  }

  /**
   * @param maxPending most jobs at once; {@link #join} makes no new one past it
   * @param maxConcurrent most attempts in flight at once
   * @param random uniform in [0, 1]: the jitter of each wait
   * @param attempt one blocking try for (namespace, name); a RuntimeException it throws counts as a retry
   */
  CopyJobs(
      Scheduler scheduler,
      Duration initialBackoff,
      Duration maxBackoff,
      int maxPending,
      int maxConcurrent,
      DoubleSupplier random,
      BiFunction<String, String, Attempt> attempt,
      Consumer<SecretCopyEvent> events) {
    this.scheduler = scheduler;
    this.initialBackoff = initialBackoff;
    this.maxBackoff = maxBackoff;
    this.maxPending = maxPending;
    this.turns = new Turns<>(maxConcurrent);
    this.random = random;
    this.attempt = attempt;
    this.events = events;
  }

  /** The job for (namespace, name), started if it is new; null when it is new and {@code maxPending} are pending. */
  CopyJob join(String namespace, String name) {
    String key = namespace + "/" + name;
    CopyJob job = jobs.get(key);
    if (job == null) {
      if (jobs.size() >= maxPending) {
        return null;
      }
      job = jobs.computeIfAbsent(key, k -> new CopyJob(this, namespace, name));
    }
    job.begin();
    return job;
  }

  /**
   * Remembers a copy that {@link #join} refused, to become a job once fewer than {@code maxPending} are pending.
   *
   * @return whether it is newly deferred (false when it was deferred already)
   */
  boolean defer(String namespace, String name) {
    boolean fresh = !closed && deferred.add(namespace, name);
    startDeferred(); // a job may have ended since join refused this one
    return fresh;
  }

  /** Copies waiting for a free job. */
  int deferredCount() {
    return deferred.size();
  }

  /** Turns the oldest deferred copies into jobs while fewer than {@code maxPending} are pending. */
  void startDeferred() {
    CopyJob job;
    while (!closed
        && (job =
                deferred.startOldest(
                    () -> jobs.size() < maxPending,
                    next ->
                        jobs.computeIfAbsent(
                            next[0] + "/" + next[1], k -> new CopyJob(this, next[0], next[1]))))
            != null) {
      job.begin();
    }
  }

  /** A fresh back-off for a new job, from {@code initial} doubling up to {@code max}, with this runner's jitter. */
  Backoff newBackoff() {
    return new Backoff(initialBackoff, maxBackoff, random);
  }

  /** Removes {@code job} as it ends; false when it is gone already ({@link #close} cleared it). */
  boolean remove(CopyJob job) {
    return jobs.remove(job.namespace + "/" + job.name, job);
  }

  /** The most jobs pending at once. */
  int maxPending() {
    return maxPending;
  }

  /** Runs every job of {@code namespace} now; one whose namespace is no longer opted in then ends. */
  void kickNamespace(String namespace) {
    jobs.values().stream().filter(j -> j.namespace.equals(namespace)).forEach(CopyJob::runNow);
  }

  /**
   * The API server answers again (a copy succeeded, the watch delivered): every job waiting for a retry runs now,
   * its back-off starting over, instead of waiting out up to {@code max}. Jobs running now are left alone.
   */
  void recovered() {
    synchronized (recovery) {
      long now = scheduler.nanoTime();
      // Many successes in a row (or a relist delivering every namespace) rerun the waiting jobs
      // once, not each time.
      if (lastRecovery != Long.MIN_VALUE && now - lastRecovery < initialBackoff.toNanos()) {
        return;
      }
      lastRecovery = now;
    }
    for (CopyJob job : jobs.values()) {
      if (job.waitingForRetry()) {
        job.resetBackoff();
        job.runNow();
      }
    }
  }

  /** Runs the job for (namespace, name), if there is one, now rather than at its next retry. */
  void kick(String namespace, String name) {
    CopyJob job = jobs.get(namespace + "/" + name);
    if (job != null) {
      job.runNow();
    }
  }

  /** Runs every job for {@code name} now (its source has just appeared or changed). */
  void kickAll(String name) {
    jobs.values().stream().filter(j -> j.name.equals(name)).forEach(CopyJob::runNow);
  }

  /** Jobs still running or waiting for a retry. */
  int inFlight() {
    return jobs.size();
  }

  /** Cancels every job. */
  void close() {
    closed = true;
    jobs.values().forEach(CopyJob::cancel);
    jobs.clear();
    deferred.clear();
  }
}
