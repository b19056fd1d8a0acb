package io.icrinjector.door;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

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
    long end = System.nanoTime() + Duration.ofSeconds(2).toNanos();
    while (System.nanoTime() < end) {
      given().port(management()).get("/q/health/ready").then().statusCode(503)
          .body("checks.find { it.name == 'icr-injector' }.data.pullSecretView",
              equalTo("waiting for the first list of pull secrets"));
      given().port(management()).get("/q/health/live").then().statusCode(200);
    }
    given().body(Reviews.fixture("create-lookalikes.json")).contentType("application/json").post(Paths.MUTATE)
        .then().statusCode(200).body("response.allowed", equalTo(true));
  }

  /** Points the client at a port where nothing listens. */
  public static class Unreachable implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("quarkus.kubernetes-client.api-server-url", "https://127.0.0.1:1",
          "quarkus.kubernetes-client.request-retry-backoff-limit", "0");
    }
  }
}
