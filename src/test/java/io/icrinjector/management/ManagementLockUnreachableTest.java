package io.icrinjector.management;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The lock with no API server to ask: 503 with the cause at once, not a hang; health still open. */
@QuarkusTest
@TestProfile(ManagementLockUnreachableTest.Unreachable.class)
class ManagementLockUnreachableTest {

  /** The lock on, the client pointed at a port where nothing listens. */
  public static class Unreachable implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "icr.management.auth",
          "enabled",
          "quarkus.kubernetes-client.api-server-url",
          "https://127.0.0.1:1",
          "quarkus.kubernetes-client.request-retry-backoff-limit",
          "0");
    }
  }

  @Test
  void answers503NamingTheCause() {
    given()
        .port(Management.port())
        .auth()
        .oauth2("any")
        .get("/q/metrics")
        .then()
        .statusCode(503)
        .header("Retry-After", "5")
        .body(
            containsString(
                "cannot check the caller with the Kubernetes API at https://127.0.0.1:1/"),
            containsString("Connection refused"));
    given().port(Management.port()).get("/q/health/live").then().statusCode(200);
  }
}
