package io.icrinjector.secrets;

import static org.assertj.core.api.Assertions.assertThat;

import io.icrinjector.secrets.SecretCopyEvent.Outcome;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The job runner on a fake clock: back-off, shared jobs, kicks, and how a job ends. */
class CopyJobsTest {

  private final FakeScheduler clock = new FakeScheduler();
  private final List<SecretCopyEvent> events = new CopyOnWriteArrayList<>();
  private final Deque<Attempt> script = new ArrayDeque<>();
  private final AtomicInteger attempts = new AtomicInteger();

  private CopyJobs jobs(Duration initial, Duration max) {
    return new CopyJobs(
        clock,
        initial,
        max,
        (ns, name) -> {
          attempts.incrementAndGet();
          return script.isEmpty() ? Attempt.DONE : script.poll();
        },
        events::add);
  }

  private static Attempt failing() {
    return Attempt.retry("w", "HTTP 500: boom");
  }

  @Test
  void failedAttemptsBackOffDoublingUpToTheMaximum() {
    CopyJobs jobs = jobs(Duration.ofSeconds(1), Duration.ofSeconds(5));
    for (int i = 0; i < 5; i++) {
      script.add(failing());
    }
    CopyJob job = jobs.join("team-a", "all-icr-io");
    clock.runDue();
    assertThat(attempts).hasValue(1);
    assertThat(job.first).isCompletedWithValueMatching(a -> a.kind() == Attempt.Kind.RETRY);

    clock.advance(Duration.ofMillis(999));
    assertThat(attempts).as("no retry before the first back-off").hasValue(1);
    clock.advance(Duration.ofMillis(1));
    assertThat(attempts).hasValue(2);
    clock.advance(Duration.ofSeconds(60));

    assertThat(clock.delays)
        .containsExactly(
            Duration.ofSeconds(1),
            Duration.ofSeconds(2),
            Duration.ofSeconds(4),
            Duration.ofSeconds(5),
            Duration.ofSeconds(5));
    assertThat(attempts).hasValue(6);
    assertThat(events).extracting(SecretCopyEvent::outcome).containsOnly(Outcome.FAILED).hasSize(5);
    assertThat(jobs.inFlight()).isZero();
  }

  @Test
  void admissionsShareOneJobPerNamespaceAndName() {
    CopyJobs jobs = jobs(Duration.ofSeconds(1), Duration.ofSeconds(5));
    CopyJob a = jobs.join("team-a", "all-icr-io");
    CopyJob b = jobs.join("team-a", "all-icr-io");
    CopyJob other = jobs.join("team-b", "all-icr-io");
    clock.runDue();
    assertThat(a).isSameAs(b).isNotSameAs(other);
    assertThat(attempts).hasValue(2);
    assertThat(jobs.inFlight()).isZero();
  }

  @Test
  void aKickRunsTheRetryNowAndTheWaitingOneIsCancelled() {
    CopyJobs jobs = jobs(Duration.ofMinutes(1), Duration.ofMinutes(5));
    script.add(failing());
    jobs.join("team-a", "all-icr-io");
    clock.runDue();
    assertThat(jobs.inFlight()).isEqualTo(1);

    jobs.kickAll("all-icr-io"); // the source appeared
    clock.runDue();

    assertThat(attempts).hasValue(2);
    assertThat(jobs.inFlight()).isZero();
    assertThat(clock.waiting()).as("the back-off timer was cancelled").isZero();
  }

  /** Issue 11, item 7: a job waiting out a 5-minute back-off runs as soon as another copy succeeds. */
  @Test
  void aSuccessRunsEveryWaitingJobAtOnce() {
    CopyJobs jobs = jobs(Duration.ofMinutes(5), Duration.ofMinutes(5));
    script.add(failing());
    jobs.join("team-a", "all-icr-io");
    clock.runDue();
    assertThat(jobs.inFlight()).as("team-a waits five minutes").isEqualTo(1);

    jobs.join("team-b", "all-icr-io"); // succeeds: the API server answers again
    clock.runDue();

    assertThat(attempts).as("team-a retried without the clock moving").hasValue(3);
    assertThat(jobs.inFlight()).isZero();
  }

  /** Issue 11, item 7: the watch delivering again (a reconnect) runs the waiting jobs, from the first back-off. */
  @Test
  void aSignOfRecoveryRunsWaitingJobsAndRestartsTheirBackOff() {
    CopyJobs jobs = jobs(Duration.ofSeconds(1), Duration.ofMinutes(5));
    for (int i = 0; i < 12; i++) {
      script.add(failing());
    }
    jobs.join("team-a", "all-icr-io");
    clock.advance(Duration.ofMinutes(10));
    assertThat(clock.delays.get(clock.delays.size() - 1)).isEqualTo(Duration.ofMinutes(5));
    int before = attempts.get();

    jobs.recovered();
    clock.runDue();

    assertThat(attempts).hasValue(before + 1);
    assertThat(clock.delays.get(clock.delays.size() - 1))
        .as("back-off from the start")
        .isEqualTo(Duration.ofSeconds(1));
  }

  /** Issue 11, item 5: waits have equal jitter, so jobs that failed together do not retry together. */
  @Test
  void retriesAreSpreadByEqualJitter() {
    double[] random = {0.0};
    CopyJobs jobs =
        new CopyJobs(
            clock,
            Duration.ofSeconds(1),
            Duration.ofSeconds(8),
            10,
            10,
            () -> random[0],
            (ns, name) -> {
              attempts.incrementAndGet();
              return failing();
            },
            events::add);
    jobs.join("team-a", "all-icr-io");
    clock.runDue();
    random[0] = 0.5;
    clock.advance(Duration.ofMillis(500));
    random[0] = 1.0;
    clock.advance(Duration.ofMillis(1500));

    assertThat(clock.delays)
        .startsWith(Duration.ofMillis(500), Duration.ofMillis(1500), Duration.ofSeconds(4));
    assertThat(attempts).hasValue(3);
  }

  /** Issue 11, items 1 and 5: attempts in flight and jobs pending are bounded; the rest wait or are refused. */
  @Test
  void attemptsInFlightAndPendingJobsAreBounded() {
    CopyJobs jobs =
        new CopyJobs(
            clock,
            Duration.ofSeconds(1),
            Duration.ofSeconds(5),
            4,
            2,
            () -> 1.0,
            (ns, name) -> {
              attempts.incrementAndGet();
              return Attempt.DONE;
            },
            events::add);
    for (int i = 0; i < 4; i++) {
      assertThat(jobs.join("team-" + i, "all-icr-io")).isNotNull();
    }
    assertThat(jobs.join("team-4", "all-icr-io")).as("past max-pending").isNull();
    assertThat(jobs.join("team-0", "all-icr-io"))
        .as("an existing job is always joined")
        .isNotNull();
    assertThat(clock.waiting()).as("attempts handed to threads").isEqualTo(2);

    clock.runDue();

    assertThat(attempts).as("the others had their turn").hasValue(4);
    assertThat(jobs.inFlight()).isZero();
  }

  /**
   * A copy refused for max-pending is not lost (the bench's flood of new namespaces found it was): deferred once, it
   * becomes a job, oldest first, as soon as one ends, and the bound holds meanwhile.
   */
  @Test
  void aCopyDeferredForMaxPendingBecomesAJobWhenOneEnds() {
    List<String> tried = new CopyOnWriteArrayList<>();
    // team-0's copy keeps failing, so its job stays pending throughout.
    CopyJobs jobs =
        new CopyJobs(
            clock,
            Duration.ofSeconds(1),
            Duration.ofSeconds(5),
            2,
            2,
            () -> 1.0,
            (ns, name) -> {
              tried.add(ns);
              return ns.equals("team-0") ? failing() : Attempt.DONE;
            },
            events::add);
    assertThat(jobs.join("team-0", "all-icr-io")).isNotNull();
    clock.runDue();
    assertThat(jobs.join("team-1", "all-icr-io")).isNotNull();
    assertThat(jobs.join("team-2", "all-icr-io")).isNull();
    assertThat(jobs.defer("team-2", "all-icr-io")).as("deferred").isTrue();
    assertThat(jobs.join("team-3", "all-icr-io")).isNull();
    assertThat(jobs.defer("team-3", "all-icr-io")).isTrue();
    assertThat(jobs.defer("team-2", "all-icr-io"))
        .as("deferred once, however many pods ask")
        .isFalse();
    assertThat(jobs.deferredCount()).isEqualTo(2);
    assertThat(tried).doesNotContain("team-2", "team-3");

    clock.runDue(); // team-1 is done: team-2 becomes a job (and is done), then team-3

    assertThat(tried)
        .filteredOn(ns -> !ns.equals("team-0"))
        .containsExactly("team-1", "team-2", "team-3");
    assertThat(jobs.deferredCount()).isZero();
    assertThat(jobs.inFlight()).as("only team-0's job is left, waiting for its retry").isEqualTo(1);
  }

  @Test
  void aGoneNamespaceEndsTheJobAsAbandoned() {
    CopyJobs jobs = jobs(Duration.ofSeconds(1), Duration.ofSeconds(5));
    script.add(failing());
    script.add(
        Attempt.gone(
            "namespace not found; secret all-icr-io not copied", "namespace team-a not found"));
    jobs.join("team-a", "all-icr-io");
    clock.advance(Duration.ofSeconds(10));

    assertThat(events)
        .extracting(SecretCopyEvent::outcome)
        .containsExactly(Outcome.FAILED, Outcome.ABANDONED);
    assertThat(attempts).hasValue(2);
    assertThat(jobs.inFlight()).isZero();
  }
}
