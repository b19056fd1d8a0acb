package io.icrinjector.management;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Readiness follows the pull-secret view: with an API server it syncs and the webhook becomes ready. */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class ReadyTest {

  static int management() {
    return Management.port();
  }

  @Test
  void readyOnceTheViewHasSynced() {
    // the first list of pull secrets comes from the mock server shortly after start; 20 s is for a
    // loaded machine
    await("ready once the pull-secret view has synced")
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(200))
        .untilAsserted(
            () ->
                given()
                    .port(management())
                    .get("/q/health/ready")
                    .then()
                    .statusCode(200)
                    .body(
                        "checks.find { it.name == 'icr-injector' }.data.pullSecretView",
                        equalTo("synced"))
                    .body(
                        "checks.find { it.name == 'icr-injector' }.data.tls",
                        equalTo("not configured (plain HTTP)")));
    given().port(management()).get("/q/health/live").then().statusCode(200);
  }
}
