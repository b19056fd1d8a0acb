package io.icrinjector.management;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The management port's lock over a mock API server that answers TokenReviews and SubjectAccessReviews by token:
 * {@code good} is a ServiceAccount allowed {@code get /q/metrics}, {@code nobody} is authenticated without any right,
 * anything else is not authenticated. Every review the webhook asks is recorded, which shows the cache at work.
 */
@QuarkusTest
@TestProfile(ManagementLockTest.Locked.class)
@WithKubernetesTestServer(crud = true)
class ManagementLockTest {

  /** The lock on, as the Deployment sets it. */
  public static class Locked implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("icr.management.auth", "enabled", "icr.management.cache-denied", "1h");
    }
  }

  @KubernetesTestServer KubernetesServer server;

  static final List<String> asked = new CopyOnWriteArrayList<>();

  @BeforeEach
  void apiServer() {
    asked.clear();
    server
        .expect()
        .post()
        .withPath("/apis/authentication.k8s.io/v1/tokenreviews")
        .andReply(
            201,
            r -> {
              TokenReview review =
                  Serialization.unmarshal(r.getBody().readUtf8(), TokenReview.class);
              String token = review.getSpec().getToken();
              asked.add("TokenReview " + token);
              boolean known = token.equals("good") || token.equals("nobody");
              return Map.of(
                  "apiVersion",
                  "authentication.k8s.io/v1",
                  "kind",
                  "TokenReview",
                  "status",
                  known
                      ? Map.of(
                          "authenticated",
                          true,
                          "user",
                          Map.of(
                              "username",
                              "system:serviceaccount:monitoring:" + token,
                              "groups",
                              List.of("system:serviceaccounts")))
                      : Map.of("authenticated", false, "error", "invalid bearer token"));
            })
        .always();
    server
        .expect()
        .post()
        .withPath("/apis/authorization.k8s.io/v1/subjectaccessreviews")
        .andReply(
            201,
            r -> {
              SubjectAccessReview review =
                  Serialization.unmarshal(r.getBody().readUtf8(), SubjectAccessReview.class);
              String user = review.getSpec().getUser();
              String path = review.getSpec().getNonResourceAttributes().getPath();
              asked.add(
                  "SubjectAccessReview "
                      + user
                      + " "
                      + review.getSpec().getNonResourceAttributes().getVerb()
                      + " "
                      + path);
              boolean allowed = user.endsWith(":good") && path.equals("/q/metrics");
              return Map.of(
                  "apiVersion",
                  "authorization.k8s.io/v1",
                  "kind",
                  "SubjectAccessReview",
                  "status",
                  Map.of("allowed", allowed, "reason", allowed ? "RBAC: allowed" : ""));
            })
        .always();
  }

  @Test
  void noTokenIs401AndHealthStaysOpen() {
    given()
        .port(Management.port())
        .get("/q/metrics")
        .then()
        .statusCode(401)
        .header("WWW-Authenticate", containsString("Bearer"))
        .body(containsString("no bearer token"));
    given().port(Management.port()).get("/report").then().statusCode(401);
    given().port(Management.port()).get("/q/health/live").then().statusCode(200);
    given().port(Management.port()).get("/q/health/ready").then().statusCode(equalTo(200));
    assertThat(asked).isEmpty();
  }

  @Test
  void aTokenKubernetesRejectsIs401() {
    given()
        .port(Management.port())
        .auth()
        .oauth2("forged")
        .get("/q/metrics")
        .then()
        .statusCode(401)
        .body(containsString("the bearer token is not valid: invalid bearer token"));
    assertThat(asked).containsExactly("TokenReview forged");
  }

  @Test
  void withoutTheRightIs403NamingIt() {
    given()
        .port(Management.port())
        .auth()
        .oauth2("nobody")
        .get("/q/metrics")
        .then()
        .statusCode(403)
        .body(
            containsString(
                "system:serviceaccount:monitoring:nobody may not get /q/metrics: it needs `get` on "
                    + "nonResourceURL /q/metrics (bind ClusterRole icr-injector-metrics-reader)"));
    given()
        .port(Management.port())
        .auth()
        .oauth2("good")
        .get("/report")
        .then()
        .statusCode(403)
        .body(containsString("(bind ClusterRole icr-injector-report-reader)"));
  }

  @Test
  void allowedIs200AndTheSecondScrapeAsksNothing() {
    String scrape =
        given()
            .port(Management.port())
            .auth()
            .oauth2("good")
            .get("/q/metrics")
            .then()
            .statusCode(200)
            .extract()
            .asString();
    assertThat(scrape).contains("icr_injector_");
    assertThat(asked)
        .containsExactly(
            "TokenReview good",
            "SubjectAccessReview system:serviceaccount:monitoring:good get /q/metrics");
    given().port(Management.port()).auth().oauth2("good").get("/q/metrics").then().statusCode(200);
    given().port(Management.port()).auth().oauth2("nobody").get("/report").then().statusCode(403);
    given().port(Management.port()).auth().oauth2("nobody").get("/report").then().statusCode(403);
    assertThat(asked)
        .as("second scrape and second refusal come from the cache")
        .containsExactly(
            "TokenReview good",
            "SubjectAccessReview system:serviceaccount:monitoring:good get /q/metrics",
            "TokenReview nobody",
            "SubjectAccessReview system:serviceaccount:monitoring:nobody get /report");
  }
}
