package io.icrinjector.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.icrinjector.secrets.WriteLimiter.Priority;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The token bucket on a fake clock: a wait moves the clock by what the limiter asked for, nothing sleeps. */
class WriteLimiterTest {

  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

  /** A clock that only the limiter's waits move, and the waits it asked for. */
  private static final class FakeClock {
    long now;
    final List<Long> waits = new ArrayList<>();

    WriteLimiter limiter(double perSecond, int burst) {
      return new WriteLimiter(
          perSecond,
          burst,
          () -> now,
          nanos -> {
            waits.add(nanos);
            now += nanos;
          });
    }
  }

  @Test
  void aFullBucketLetsTheBurstThroughAtOnceThenTheRate() {
    FakeClock clock = new FakeClock();
    WriteLimiter limiter = clock.limiter(20, 50);

    for (int i = 0; i < 50; i++) {
      limiter.acquire(Priority.ADMISSION);
    }
    assertThat(clock.now).as("the burst costs no wait").isZero();

    for (int i = 0; i < 100; i++) {
      limiter.acquire(Priority.ADMISSION);
    }
    // 100 more at 20/s: 5 s, never less (a write per 50 ms).
    assertThat(clock.now).isBetween(5 * SECOND, 5 * SECOND + TimeUnit.MILLISECONDS.toNanos(1));
    assertThat(limiter.taken()).isEqualTo(150);
  }

  @Test
  void noWindowOfOneSecondEverSeesMoreThanRatePlusBurst() {
    FakeClock clock = new FakeClock();
    WriteLimiter limiter = clock.limiter(20, 50);
    List<Long> at = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      limiter.acquire(i % 3 == 0 ? Priority.ADMISSION : Priority.BACKGROUND);
      at.add(clock.now);
    }
    for (int i = 0; i < at.size(); i++) {
      long from = at.get(i);
      long inWindow = at.stream().filter(t -> t >= from && t < from + SECOND).count();
      assertThat(inWindow).as("writes in the second from %d ns", from).isLessThanOrEqualTo(20 + 50);
    }
    // 1,000 writes: the start-up burst (minus the reserve background writes leave) then 20/s.
    assertThat(clock.now).isGreaterThanOrEqualTo((1000 - 50) * SECOND / 20);
  }

  @Test
  void idleTimeRefillsNoMoreThanTheBurst() {
    FakeClock clock = new FakeClock();
    WriteLimiter limiter = clock.limiter(20, 50);
    for (int i = 0; i < 50; i++) {
      limiter.acquire(Priority.ADMISSION);
    }
    clock.now += 3600 * SECOND; // an hour of nothing
    int free = 0;
    while (limiter.tryAcquire(Priority.ADMISSION) == 0) {
      free++;
    }
    assertThat(free).isEqualTo(50);
  }

  @Test
  void backgroundWritesLeaveTheReserveForAdmissions() {
    FakeClock clock = new FakeClock();
    WriteLimiter limiter = clock.limiter(20, 50);
    int background = 0;
    while (limiter.tryAcquire(Priority.BACKGROUND) == 0) {
      background++;
    }
    assertThat(background).as("a rotation's burst is the bucket minus the reserve").isEqualTo(25);
    assertThat(limiter.reserve()).isEqualTo(25);

    // Mid-rotation, a pod's copy does not wait at all: the reserve is there.
    long before = clock.now;
    for (int i = 0; i < 25; i++) {
      limiter.acquire(Priority.ADMISSION);
    }
    assertThat(clock.now).isEqualTo(before);
  }

  @Test
  void whileAdmissionsTakeTheRefillBackgroundWritesWait() {
    FakeClock clock = new FakeClock();
    WriteLimiter limiter = clock.limiter(20, 50);
    while (limiter.tryAcquire(Priority.ADMISSION) == 0) {
      // empty the bucket
    }
    // The next token is 50 ms away for an admission, but 25 tokens (1.25 s) away for a background
    // write.
    long admissionWait = limiter.tryAcquire(Priority.ADMISSION);
    long backgroundWait = limiter.tryAcquire(Priority.BACKGROUND);
    assertThat(admissionWait)
        .isBetween(TimeUnit.MILLISECONDS.toNanos(49), TimeUnit.MILLISECONDS.toNanos(51));
    assertThat(backgroundWait).isGreaterThan(25 * admissionWait - TimeUnit.MILLISECONDS.toNanos(1));

    // An admission every 50 ms keeps the level at zero: background writes get nothing meanwhile.
    for (int i = 0; i < 40; i++) {
      clock.now += TimeUnit.MILLISECONDS.toNanos(50);
      assertThat(limiter.tryAcquire(Priority.ADMISSION)).isZero();
      assertThat(limiter.tryAcquire(Priority.BACKGROUND)).isPositive();
    }
  }

  @Test
  void aBackgroundWriterStillGetsTheFullRateInSteadyState() {
    FakeClock clock = new FakeClock();
    WriteLimiter limiter = clock.limiter(20, 50);
    for (int i = 0; i < 25; i++) {
      limiter.acquire(Priority.BACKGROUND);
    }
    long start = clock.now;
    for (int i = 0; i < 200; i++) {
      limiter.acquire(Priority.BACKGROUND);
    }
    assertThat(clock.now - start)
        .isBetween(10 * SECOND, 10 * SECOND + TimeUnit.MILLISECONDS.toNanos(1));
  }

  @Test
  void anInterruptedWaitWritesNothingAndSaysWhy() {
    WriteLimiter limiter =
        new WriteLimiter(
            1,
            1,
            () -> 0L,
            nanos -> {
              throw new InterruptedException();
            });
    limiter.acquire(Priority.ADMISSION);
    try {
      assertThatThrownBy(() -> limiter.acquire(Priority.ADMISSION))
          .isInstanceOf(WriteLimiter.WriteCancelledException.class)
          .hasMessageContaining("writes-per-second");
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
    assertThat(limiter.taken()).isEqualTo(1);
  }

  @Test
  void aBucketThatCouldNeverLetAWriteThroughIsRefused() {
    assertThatThrownBy(() -> new WriteLimiter(0, 50)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new WriteLimiter(20, 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
