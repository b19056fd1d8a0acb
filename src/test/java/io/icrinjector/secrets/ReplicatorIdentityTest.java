package io.icrinjector.secrets;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.icrinjector.kube.Clients;
import io.icrinjector.kube.UserAgent;
import io.icrinjector.management.Management;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * What the application's Kubernetes client says it is (the user agent an admin's FlowSchema and audit log see),
 * and the replicator's write gauges as Prometheus reads them.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class ReplicatorIdentityTest {

  @Inject KubernetesClient client;

  @Test
  void theClientIntroducesItselfAsIcrInjectorWithItsVersion() {
    assertThat(client.getConfiguration().getUserAgent())
        .isEqualTo("icr-injector/0.1.0-SNAPSHOT")
        .isEqualTo(UserAgent.value());
    // The copies' client (no retry, short timeout) is derived from it and keeps it.
    assertThat(Clients.oneAttempt(client, Duration.ofSeconds(2)).getConfiguration().getUserAgent())
        .isEqualTo(UserAgent.value());
  }

  @Test
  void thePendingCopiesAndTheLeaderAreGauges() {
    // Without icr.webhook-namespace (tests, local runs) there is no election: this replica writes
    // rotations.
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              String metrics =
                  given()
                      .port(Management.port())
                      .get("/q/metrics")
                      .then()
                      .statusCode(200)
                      .extract()
                      .asString();
              assertThat(metrics)
                  .contains("\nicr_injector_leader 1.0", "\nicr_injector_copies_pending 0.0");
            });
  }
}
