package io.icrinjector.door;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.time.Instant;
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
    Instant deadline = Instant.now().plusSeconds(20);
    while (given().port(management()).get("/q/health/ready").statusCode() != 200 && Instant.now().isBefore(deadline)) {
      Thread.onSpinWait();
    }
    given().port(management()).get("/q/health/ready").then().statusCode(200)
        .body("checks.find { it.name == 'icr-injector' }.data.pullSecretView", equalTo("synced"))
        .body("checks.find { it.name == 'icr-injector' }.data.tls", equalTo("not configured (plain HTTP)"));
    given().port(management()).get("/q/health/live").then().statusCode(200);
  }
}

