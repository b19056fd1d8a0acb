package io.icrinjector.door;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.icrinjector.handler.Endpoint;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code icr.mode=audit} turns {@code /mutate} into {@code /audit}: findings, no patch, no copy. */
@QuarkusTest
@TestProfile(AuditModeTest.AuditMode.class)
class AuditModeTest {

  @Test
  void mutateOnlyReportsInAuditMode() {
    String answer =
        given()
            .body(Reviews.fixture("create-us-south.json"))
            .contentType("application/json")
            .post(Endpoint.MUTATE.path())
            .then()
            .statusCode(200)
            .extract()
            .asString();
    JsonObject response = Reviews.response(answer);
    assertThat(response.getBoolean("allowed")).isTrue();
    assertThat(response.containsKey("patch")).isFalse();
    assertThat(AdmissionRoutesTest.warnings(response))
        .contains(
            "icr-injector: would rewrite container web: registry.ng.bluemix.net -> us.icr.io");
    assertThat(response.getJsonObject("auditAnnotations").getString("rewrites"))
        .isEqualTo("web=us.icr.io/acme/shop:1.4.2");
  }

  /** The global audit switch. */
  public static class AuditMode implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("icr.mode", "audit");
    }
  }
}
