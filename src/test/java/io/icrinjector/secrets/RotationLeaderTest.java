package io.icrinjector.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two replicas' {@link RotationLeader}s on one Lease (the mock server in CRUD mode stands for the API server; the
 * real one, with a replica killed, is e2e.RotationWritesIT): exactly one leads, and one that shuts down hands over
 * at once rather than after the lease runs out.
 */
class RotationLeaderTest {

  private final KubernetesMockServer server =
      new KubernetesMockServer(
          new io.fabric8.mockwebserver.Context(),
          new io.fabric8.mockwebserver.MockWebServer(),
          new java.util.HashMap<>(),
          new io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher(),
          false);
  private KubernetesClient client;

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
    }
    server.destroy();
  }

  @Test
  void oneLeadsAndAReplicaThatShutsDownHandsOverAtOnce() {
    server.init();
    client = server.createClient();
    AtomicInteger startsA = new AtomicInteger();
    AtomicInteger startsB = new AtomicInteger();
    RotationLeader a =
        new RotationLeader(
            client, "icr-injector", "icr-injector-rotation", startsA::incrementAndGet);
    RotationLeader b =
        new RotationLeader(
            client, "icr-injector", "icr-injector-rotation", startsB::incrementAndGet);
    try {
      a.start();
      await().atMost(Duration.ofSeconds(10)).until(a::leading);
      b.start();
      // b campaigns every 2-4.4 s and finds the Lease held: it never leads while a renews.
      await()
          .during(Duration.ofSeconds(5))
          .atMost(Duration.ofSeconds(8))
          .until(() -> a.leading() && !b.leading());
      Lease lease =
          client.leases().inNamespace("icr-injector").withName("icr-injector-rotation").get();
      assertThat(lease.getSpec().getHolderIdentity()).isEqualTo(a.identityInLease());
      assertThat(startsA).hasValue(1);

      a.close();
      assertThat(a.leading()).isFalse();
      // Released, not left to run out (15 s): b takes it at its next try.
      await().atMost(Duration.ofSeconds(8)).until(b::leading);
      assertThat(startsB).hasValue(1);
      assertThat(
              client
                  .leases()
                  .inNamespace("icr-injector")
                  .withName("icr-injector-rotation")
                  .get()
                  .getSpec()
                  .getHolderIdentity())
          .isEqualTo(b.identityInLease());
    } finally {
      a.close();
      b.close();
    }
  }

  @Test
  void withoutANamespaceThereIsNoElectionAndThisReplicaAlwaysWrites() {
    RotationLeader alone = new RotationLeader(null, null, "icr-injector-rotation", () -> {});
    alone.start();
    assertThat(alone.elects()).isFalse();
    assertThat(alone.leading()).isTrue();
    alone.close();
    assertThat(alone.leading()).isTrue();
  }
}
