package io.icrinjector.secrets;

import io.icrinjector.secrets.SecretCopyEvent.Outcome;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Runs the copy jobs: one per (namespace, name), shared by every admission that needs it, so that a burst of pods in
 * a new namespace makes one create call. A job runs attempts on the {@link Scheduler} until one finishes it; after a
 * failed one it waits with exponential back-off ({@code initial} doubling up to {@code max}), unless something worth
 * a retry happens first ({@link #kick}). Each failed attempt is logged and fired as {@code FAILED}; a job given up
 * because its namespace is gone fires {@code ABANDONED}.
 */
final class CopyJobs {

  private static final Logger LOG = Logger.getLogger(CopyJobs.class);

  private final Scheduler scheduler;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final BiFunction<String, String, Attempt> attempt;
  private final Consumer<SecretCopyEvent> events;
  private final ConcurrentHashMap<String, Job> jobs = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /**
   * @param attempt one blocking try for (namespace, name); a RuntimeException it throws counts as a retry
   */
  CopyJobs(Scheduler scheduler, Duration initialBackoff, Duration maxBackoff,
      BiFunction<String, String, Attempt> attempt, Consumer<SecretCopyEvent> events) {
    this.scheduler = scheduler;
    this.initialBackoff = initialBackoff;
    this.maxBackoff = maxBackoff;
    this.attempt = attempt;
    this.events = events;
  }

  /** The job for (namespace, name), started if it is new. */
  Job join(String namespace, String name) {
    Job job = jobs.computeIfAbsent(namespace + "/" + name, k -> new Job(namespace, name));
    job.begin();
    return job;
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
    private Duration delay = initialBackoff;
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
      try {
        scheduler.execute(this::attemptOnce);
      } catch (RuntimeException e) {
        finish(Attempt.retry(CopyWarnings.couldNotStart(name), KubeErrors.describe(e)));
      }
    }

    private void attemptOnce() {
      Attempt a;
      try {
        a = attempt.apply(namespace, name);
      } catch (RuntimeException e) {
        a = Attempt.retry(CopyWarnings.unreachable(name), KubeErrors.describe(e));
      }
      finish(a);
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
          wait = delay;
          delay = delay.multipliedBy(2).compareTo(maxBackoff) <= 0 ? delay.multipliedBy(2) : maxBackoff;
          try {
            scheduled = scheduler.schedule(this::runNow, wait);
          } catch (RuntimeException e) {
            finished = true;
          }
        }
      }
      if (!a.finished()) {
        LOG.infof("copy of secret %s into namespace %s failed (attempt %d): %s; %s", name, namespace, n,
            a.detail(), again ? "retrying now" : wait == null ? "giving up" : "next try in " + CopyWarnings.format(wait));
        events.accept(new SecretCopyEvent(namespace, name, Outcome.FAILED, a.detail()));
      } else if (a.kind() == Attempt.Kind.GONE) {
        LOG.infof("copy of secret %s into namespace %s abandoned: %s", name, namespace, a.detail());
        events.accept(new SecretCopyEvent(namespace, name, Outcome.ABANDONED, a.detail()));
      }
      synchronized (this) {
        if (finished) {
          jobs.remove(namespace + "/" + name, this);
        }
      }
      first.complete(a);
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
