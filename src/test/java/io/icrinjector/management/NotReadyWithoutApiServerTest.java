package io.icrinjector.management;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import io.icrinjector.door.Reviews;
import io.icrinjector.handler.Endpoint;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** An unreachable API server: not ready (no sync), but alive, and admissions are still answered. */
@QuarkusTest
@TestProfile(NotReadyWithoutApiServerTest.Unreachable.class)
class NotReadyWithoutApiServerTest {

  static int management() {
    return Management.port();
  }

  @Test
  void notReadyButAliveAndAnswering() {
    // Not ready must hold, not just be seen once: readiness down and liveness up for 2 s on end,
    // and a single ready
    // answer fails the test at once (failFast) instead of being waited out.
    await("not ready while the API server is unreachable")
        .pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(200))
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(10))
        .failFast(
            "ready without an API server",
            () -> given().port(management()).get("/q/health/ready").statusCode() == 200)
        .untilAsserted(
            () -> {
              given()
                  .port(management())
                  .get("/q/health/ready")
                  .then()
                  .statusCode(503)
                  .body(
                      "checks.find { it.name == 'icr-injector' }.data.pullSecretView",
                      equalTo("waiting for the first list of pull secrets"));
              given().port(management()).get("/q/health/live").then().statusCode(200);
            });
    given()
        .body(Reviews.fixture("create-lookalikes.json"))
        .contentType("application/json")
        .post(Endpoint.MUTATE.path())
        .then()
        .statusCode(200)
        .body("response.allowed", equalTo(true));
  }

  /** Points the client at a port where nothing listens. */
  public static class Unreachable implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "quarkus.kubernetes-client.api-server-url",
          "https://127.0.0.1:1",
          "quarkus.kubernetes-client.request-retry-backoff-limit",
          "0");
    }
  }
}
