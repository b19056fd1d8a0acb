package io.icrinjector.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The bounded scale suite of {@code make test} (issue 20): the packaged webhook under deploy/'s JVM options on a
 * real API server, grown from 500 to 2,000 opted-in namespaces with a pod each (so a copy each, made by admission),
 * 100 of them holding a same-named secret that is not ours. It asserts correctness at that size (every copy, the
 * foreign secrets untouched, a rotation converging, a restart ready without writes, a clean log) and the memory a
 * copy costs as the slope of the live heap between the two sizes, so that neither machine speed nor the fixed cost
 * of the process enters it. {@code make scale} runs the full sizes and prints the figures; nothing here is timed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ScaleIT {

  static final int SMALL = 500;
  static final int LARGE = 2_000;
  static final int FOREIGN = 100;

  /**
   * Issue 20's goal is 10,000 opted-in namespaces with a copy each within 40 MiB of live heap; about 20 MiB of that is
   * the process's own base, so a copy (its secret view and its namespace) may cost about 3 KiB of live heap at most.
   */
  static final long MAX_LIVE_BYTES_PER_COPY = 3 * 1024;

  static final Duration WAIT = Duration.ofMinutes(5);

  ScaleCluster cluster;
  JvmProbe.Memory small;
  JvmProbe.Memory large;

  @BeforeAll
  void start() {
    cluster = ScaleCluster.start(16);
  }

  @AfterAll
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Order(1)
  void everyOptedInNamespaceGetsItsCopyFromThePodsAdmission() {
    small = grow(SMALL);
    for (Pod pod : cluster.samplePods(10)) {
      assertThat(pod.getSpec().getContainers().get(0).getImage())
          .isEqualTo("us.icr.io/acme/app:1.0");
      assertThat(pod.getSpec().getImagePullSecrets())
          .extracting(LocalObjectReference::getName)
          .contains(ScaleCluster.SECRET);
    }
  }

  @Test
  @Order(2)
  void everyCopyIsMadeAtTheLargerSizeToo() {
    large = grow(LARGE);
  }

  @Test
  @Order(3)
  void aCopyCostsAtMostTheIssuesShareOfTheLiveHeap() {
    double perCopy = (double) (large.liveHeap() - small.liveHeap()) / (LARGE - SMALL);
    cluster.progress(
        "live heap %.1f MiB at %d namespaces, %.1f MiB at %d: %.0f bytes per copy (bound %d)",
        ScaleCluster.mib(small.liveHeap()),
        SMALL,
        ScaleCluster.mib(large.liveHeap()),
        LARGE,
        perCopy,
        MAX_LIVE_BYTES_PER_COPY);
    assertThat(perCopy)
        .as("live heap per opted-in namespace with a copy, bytes")
        .isLessThanOrEqualTo(MAX_LIVE_BYTES_PER_COPY);
  }

  @Test
  @Order(4)
  void aRotationReachesEveryCopyWithoutConflictsAndLeavesForeignSecretsAlone() {
    ScaleCluster.Rotation rotation = cluster.rotate(WAIT);
    assertThat(cluster.currentCopies(cluster.source())).isEqualTo(LARGE - FOREIGN);
    assertThat(rotation.conflicts()).as("409 answers during the rotation").isZero();
    assertThat(rotation.writes())
        .as("copy and Event writes")
        .isGreaterThanOrEqualTo(LARGE - FOREIGN);
    assertThat(cluster.touchedForeignSecrets()).as("foreign same-named secrets touched").isEmpty();
  }

  @Test
  @Order(5)
  void aRestartIsReadyAndWritesNothingWhenNothingChanged() {
    ApiServerMetrics.Counts before = cluster.requests();
    cluster.restartWebhook();
    await()
        .during(Duration.ofSeconds(10))
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> cluster.requestsSince(before).copyWrites() == 0);
    ApiServerMetrics.Counts restart = cluster.requestsSince(before);
    cluster.progress(
        "restart: %d API requests from stop to 10 s after ready: %s", restart.total(), restart);
    assertThat(cluster.webhookAlive()).isTrue();
    assertThat(cluster.currentCopies(cluster.source())).isEqualTo(LARGE - FOREIGN);
    assertThat(cluster.touchedForeignSecrets()).isEmpty();
  }

  @Test
  @Order(6)
  void theWebhookLoggedNoWarningOrError() {
    assertThat(cluster.webhookProblems()).isEmpty();
  }

  private JvmProbe.Memory grow(int namespaces) {
    int from = cluster.namespaces();
    cluster.growNamespaces(namespaces, FOREIGN);
    cluster.createPods(from, 0, 1);
    cluster.awaitCopies("copies at " + namespaces, WAIT);
    assertThat(cluster.currentCopies(cluster.source())).isEqualTo(namespaces - FOREIGN);
    assertThat(cluster.touchedForeignSecrets()).isEmpty();
    return cluster.memory();
  }
}
