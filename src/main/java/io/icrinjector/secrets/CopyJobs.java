package io.icrinjector.secrets;

import io.icrinjector.kube.KubeErrors;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;

/**
 * Runs the copy jobs: one per (namespace, name), shared by every admission that needs it, so that a burst of pods in
 * a new namespace makes one create call. A job runs attempts on the {@link Scheduler} until one finishes it; after a
 * failed one it waits with exponential back-off ({@code initial} doubling up to {@code max}), unless something worth
 * a retry happens first ({@link #kick}). Each failed attempt is logged and fired as {@code FAILED}; a job given up
 * because its namespace is gone fires {@code ABANDONED}.
 *
 * <p>This is the one retry policy of a copy (the client's own request retry is off: one attempt is one request).
 * Each wait has equal jitter (between half and all of the nominal delay), so that jobs that failed together do not
 * retry together; at most {@code maxConcurrent} attempts are in flight, the others wait their turn in order; at most
 * {@code maxPending} jobs exist at once. A sign that the API server works again ({@link #recovered}) runs every
 * waiting job at once, from the first back-off again, rather than after up to {@code max} of waiting.
 */
final class CopyJobs {

  private final Scheduler scheduler;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final BiFunction<String, String, Attempt> attempt;
  private final Consumer<SecretCopyEvent> events;
  private final ConcurrentHashMap<String, Job> jobs = new ConcurrentHashMap<>();
  private final DeferredCopies deferred = new DeferredCopies();
  private final int maxPending;
  private final DoubleSupplier random;
  private final Turns<Job> turns;
  private final Object recovery = new Object();

  /** When {@link #recovered} last ran the waiting jobs; it does so at most once per initial back-off. */
  private long lastRecovery = Long.MIN_VALUE;

  private volatile boolean closed;

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
  Job join(String namespace, String name) {
    String key = namespace + "/" + name;
    Job job = jobs.get(key);
    if (job == null) {
      if (jobs.size() >= maxPending) {
        return null;
      }
      job = jobs.computeIfAbsent(key, k -> new Job(namespace, name));
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
  private void startDeferred() {
    Job job;
    while (!closed
        && (job =
                deferred.startOldest(
                    () -> jobs.size() < maxPending,
                    next ->
                        jobs.computeIfAbsent(
                            next[0] + "/" + next[1], k -> new Job(next[0], next[1]))))
            != null) {
      job.begin();
    }
  }

  /** The most jobs pending at once. */
  int maxPending() {
    return maxPending;
  }

  /** Runs every job of {@code namespace} now; one whose namespace is no longer opted in then ends. */
  void kickNamespace(String namespace) {
    jobs.values().stream().filter(j -> j.namespace.equals(namespace)).forEach(Job::runNow);
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
    for (Job job : jobs.values()) {
      if (job.waitingForRetry()) {
        job.resetBackoff();
        job.runNow();
      }
    }
  }

  /** Runs the job for (namespace, name), if there is one, now rather than at its next retry. */
  void kick(String namespace, String name) {
    Job job = jobs.get(namespace + "/" + name);
    if (job != null) {
      job.runNow();
    }
  }

  /** Runs every job for {@code name} now (its source has just appeared or changed). */
  void kickAll(String name) {
    jobs.values().stream().filter(j -> j.name.equals(name)).forEach(Job::runNow);
  }

  /** Jobs still running or waiting for a retry. */
  int inFlight() {
    return jobs.size();
  }

  /** Cancels every job. */
  void close() {
    closed = true;
    jobs.values().forEach(Job::cancel);
    jobs.clear();
    deferred.clear();
  }

  /** One copy loop. Its first attempt is what admissions wait for, within their budget. */
  final class Job {
    final String namespace;
    final String name;

    /** Completes with the first attempt's outcome. */
    final CompletableFuture<Attempt> first = new CompletableFuture<>();

    final long startedNanos = scheduler.nanoTime();

    /** The latest attempt's outcome, null before the first ends. */
    volatile Attempt last;

    private boolean begun;
    private boolean running;
    private boolean rerun;
    private boolean finished;
    private int attempts;
    private final Backoff backoff = new Backoff(initialBackoff, maxBackoff, random);
    private Future<?> scheduled;

    private Job(String namespace, String name) {
      this.namespace = namespace;
      this.name = name;
    }

    private void begin() {
      synchronized (this) {
        if (begun) {
          return;
        }
        begun = true;
      }
      runNow();
    }

    /** Runs an attempt now (or right after the running one), ahead of any scheduled retry. */
    void runNow() {
      synchronized (this) {
        if (finished || closed) {
          return;
        }
        if (running) {
          rerun = true;
          return;
        }
        running = true;
        if (scheduled != null) {
          scheduled.cancel(false);
          scheduled = null;
        }
      }
      if (turns.enter(this)) { // else its turn comes when an attempt in flight ends
        start();
      }
    }

    synchronized boolean waitingForRetry() {
      return scheduled != null && !running && !finished;
    }

    synchronized void resetBackoff() {
      backoff.reset();
    }

    private void start() {
      try {
        scheduler.execute(this::attemptOnce);
      } catch (RuntimeException e) {
        endTurn();
        finish(Attempt.retry(CopyWarnings.couldNotStart(name), KubeErrors.describe(e)));
      }
    }

    private void attemptOnce() {
      Attempt a;
      try {
        a = attempt.apply(namespace, name);
      } catch (RuntimeException e) {
        a = Attempt.retry(CopyWarnings.unreachable(name), KubeErrors.describe(e));
      } finally {
        endTurn();
      }
      finish(a);
      if (a.kind() == Attempt.Kind.DONE || a.kind() == Attempt.Kind.FOREIGN) {
        recovered(); // the API server answered a copy: those waiting need not wait out their
        // back-off
      }
    }

    /** Gives this attempt's slot to the next job waiting for one. */
    private void endTurn() {
      Job next = turns.leave();
      if (next != null) {
        next.start();
      }
    }

    private void finish(Attempt a) {
      boolean again = false;
      Duration wait = null;
      int n;
      synchronized (this) {
        running = false;
        last = a;
        n = ++attempts;
        if (a.finished() || closed) {
          finished = true;
        } else if (rerun) {
          rerun = false;
          again = true;
        } else {
          wait = backoff.next();
          try {
            scheduled = scheduler.schedule(this::runNow, wait);
          } catch (RuntimeException e) {
            finished = true;
          }
        }
      }
      a.report(
          namespace,
          name,
          n,
          again
              ? "retrying now"
              : wait == null ? "giving up" : "next try in " + CopyWarnings.format(wait),
          events);
      boolean ended;
      synchronized (this) {
        ended = finished && jobs.remove(namespace + "/" + name, this);
      }
      first.complete(a);
      if (ended) {
        startDeferred();
      }
      if (again) {
        runNow();
      }
    }

    private synchronized void cancel() {
      finished = true;
      if (scheduled != null) {
        scheduled.cancel(false);
      }
    }
  }
}
