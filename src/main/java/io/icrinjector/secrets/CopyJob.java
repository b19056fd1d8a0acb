package io.icrinjector.secrets;

import io.icrinjector.kube.KubeErrors;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

/**
 * One copy loop of the {@link CopyJobs}, for one (namespace, name): runs attempts one at a time on the scheduler,
 * each within a turn of the jobs' {@link Turns}, until one finishes it; after a failed one it waits its {@link
 * Backoff}, unless {@link #runNow} comes first (a kick during an attempt reruns it right after). Its first attempt is
 * what admissions wait for, within their budget. When it ends it leaves its {@link CopyJobs}, which may then start a
 * deferred copy.
 */
final class CopyJob {
  final String namespace;
  final String name;

  /** Completes with the first attempt's outcome. */
  final CompletableFuture<Attempt> first = new CompletableFuture<>();

  final long startedNanos;

  /** The latest attempt's outcome, null before the first ends. */
  volatile Attempt last;

  private final CopyJobs jobs;
  private final Backoff backoff;
  private boolean begun;
  private boolean running;
  private boolean rerun;
  private boolean finished;
  private int attempts;
  private Future<?> scheduled;

  CopyJob(CopyJobs jobs, String namespace, String name) {
    this.jobs = jobs;
    this.namespace = namespace;
    this.name = name;
    this.startedNanos = jobs.scheduler.nanoTime();
    this.backoff = jobs.newBackoff();
  }

  /** Runs the first attempt, once however many admissions join. */
  void begin() {
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
      if (finished || jobs.closed) {
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
    if (jobs.turns.enter(this)) { // else its turn comes when an attempt in flight ends
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
      jobs.scheduler.execute(this::attemptOnce);
    } catch (RuntimeException e) {
      endTurn();
      finish(Attempt.retry(CopyWarnings.couldNotStart(name), KubeErrors.describe(e)));
    }
  }

  private void attemptOnce() {
    Attempt a;
    try {
      a = jobs.attempt.apply(namespace, name);
    } catch (RuntimeException e) {
      a = Attempt.retry(CopyWarnings.unreachable(name), KubeErrors.describe(e));
    } finally {
      endTurn();
    }
    finish(a);
    if (a.kind() == Attempt.Kind.DONE || a.kind() == Attempt.Kind.FOREIGN) {
      jobs.recovered(); // the API server answered a copy: those waiting need not wait out their
      // back-off
    }
  }

  /** Gives this attempt's slot to the next job waiting for one. */
  private void endTurn() {
    CopyJob next = jobs.turns.leave();
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
      if (a.finished() || jobs.closed) {
        finished = true;
      } else if (rerun) {
        rerun = false;
        again = true;
      } else {
        wait = backoff.next();
        try {
          scheduled = jobs.scheduler.schedule(this::runNow, wait);
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
        jobs.events);
    boolean ended;
    synchronized (this) {
      ended = finished && jobs.remove(this);
    }
    first.complete(a);
    if (ended) {
      jobs.startDeferred();
    }
    if (again) {
      runNow();
    }
  }

  /** Ends the job: no attempt starts after this one, and its scheduled retry is called off. */
  synchronized void cancel() {
    finished = true;
    if (scheduled != null) {
      scheduled.cancel(false);
    }
  }
}
