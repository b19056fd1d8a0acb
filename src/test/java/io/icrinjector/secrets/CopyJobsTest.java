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
    return new CopyJobs(clock, initial, max, (ns, name) -> {
      attempts.incrementAndGet();
      return script.isEmpty() ? Attempt.DONE : script.poll();
    }, events::add);
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
    CopyJobs.Job job = jobs.join("team-a", "all-icr-io");
    clock.runDue();
    assertThat(attempts).hasValue(1);
    assertThat(job.first).isCompletedWithValueMatching(a -> a.kind() == Attempt.Kind.RETRY);

    clock.advance(Duration.ofMillis(999));
    assertThat(attempts).as("no retry before the first back-off").hasValue(1);
    clock.advance(Duration.ofMillis(1));
    assertThat(attempts).hasValue(2);
    clock.advance(Duration.ofSeconds(60));

    assertThat(clock.delays).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4),
        Duration.ofSeconds(5), Duration.ofSeconds(5));
    assertThat(attempts).hasValue(6);
    assertThat(events).extracting(SecretCopyEvent::outcome).containsOnly(Outcome.FAILED).hasSize(5);
    assertThat(jobs.inFlight()).isZero();
  }

  @Test
  void admissionsShareOneJobPerNamespaceAndName() {
    CopyJobs jobs = jobs(Duration.ofSeconds(1), Duration.ofSeconds(5));
    CopyJobs.Job a = jobs.join("team-a", "all-icr-io");
    CopyJobs.Job b = jobs.join("team-a", "all-icr-io");
    CopyJobs.Job other = jobs.join("team-b", "all-icr-io");
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

  @Test
  void aGoneNamespaceEndsTheJobAsAbandoned() {
    CopyJobs jobs = jobs(Duration.ofSeconds(1), Duration.ofSeconds(5));
    script.add(failing());
    script.add(Attempt.gone("namespace not found; secret all-icr-io not copied", "namespace team-a not found"));
    jobs.join("team-a", "all-icr-io");
    clock.advance(Duration.ofSeconds(10));

    assertThat(events).extracting(SecretCopyEvent::outcome).containsExactly(Outcome.FAILED, Outcome.ABANDONED);
    assertThat(attempts).hasValue(2);
    assertThat(jobs.inFlight()).isZero();
  }
}
