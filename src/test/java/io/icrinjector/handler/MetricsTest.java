package io.icrinjector.handler;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.icrinjector.door.Reviews;
import io.icrinjector.management.Management;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * The Prometheus metrics move by exactly what known admissions should add, and the decision line agrees with them.
 * No API server is reachable here (the test JVM's client auto-configuration is off, see pom.xml), so the pull-secret
 * view is empty and every audited pod "would copy" its secret: the figures are exact.
 */
@QuarkusTest
class MetricsTest {

  @Test
  void countersFollowAdmissions() {
    String before = scrape();
    post(
        Endpoint.MUTATE.path(),
        Reviews.fixture("create-all-lists.json"),
        200); // 4 rewrites, 1 secret attached
    post(Endpoint.MUTATE.path(), Reviews.fixture("create-lookalikes.json"), 200); // unchanged
    post(Endpoint.MUTATE.path(), Reviews.fixture("create-deployment.json"), 200); // skipped
    post(
        Endpoint.AUDIT.path(),
        Reviews.fixture("create-us-south.json"),
        200); // 1 rewrite + 1 secret would change
    post(Endpoint.MUTATE.path(), "not json", 400);
    String after = scrape();

    assertThat(
            delta(
                before,
                after,
                "icr_injector_admissions_total{path=\"/mutate\",result=\"patched\"}"))
        .isEqualTo(1);
    assertThat(
            delta(
                before,
                after,
                "icr_injector_admissions_total{path=\"/mutate\",result=\"unchanged\"}"))
        .isEqualTo(1);
    assertThat(
            delta(
                before,
                after,
                "icr_injector_admissions_total{path=\"/mutate\",result=\"skipped\"}"))
        .isEqualTo(1);
    assertThat(
            delta(
                before, after, "icr_injector_admissions_total{path=\"/audit\",result=\"audited\"}"))
        .isEqualTo(1);
    assertThat(
            delta(
                before,
                after,
                "icr_injector_admissions_total{path=\"/mutate\",result=\"bad_request\"}"))
        .isEqualTo(1);
    assertThat(
            delta(
                before,
                after,
                "icr_injector_rewrites_total{from_host=\"registry.eu-gb.bluemix.net\",to_host=\"uk.icr.io\"}"))
        .isEqualTo(1);
    assertThat(
            delta(
                before,
                after,
                "icr_injector_rewrites_total{from_host=\"registry.bluemix.net\",to_host=\"icr.io\"}"))
        .isEqualTo(1);
    assertThat(delta(before, after, "icr_injector_pull_secrets_attached_total")).isEqualTo(1);
    // 1 rewrite + 1 secret attached + 1 secret copied (the view is empty: no API server is
    // reachable)
    assertThat(delta(before, after, "icr_injector_audit_findings_total")).isEqualTo(3);
    assertThat(delta(before, after, "icr_injector_admission_duration_seconds_count")).isEqualTo(5);
    assertThat(after).contains("icr_injector_admission_duration_seconds_bucket{le=");
  }

  @Test
  void dryRunRewritesAreNotCounted() {
    String before = scrape();
    post(Endpoint.MUTATE.path(), Reviews.fixture("create-dry-run.json"), 200);
    String after = scrape();
    assertThat(
            delta(
                before,
                after,
                "icr_injector_admissions_total{path=\"/mutate\",result=\"patched\"}"))
        .isEqualTo(1);
    assertThat(
            delta(
                before,
                after,
                "icr_injector_rewrites_total{from_host=\"registry.ng.bluemix.net\",to_host=\"us.icr.io\"}"))
        .isZero();
    // the same review without dryRun does move the series, so the zero above is not a missing
    // series
    post(Endpoint.MUTATE.path(), Reviews.fixture("create-us-south.json"), 200);
    assertThat(
            delta(
                after,
                scrape(),
                "icr_injector_rewrites_total{from_host=\"registry.ng.bluemix.net\",to_host=\"us.icr.io\"}"))
        .isEqualTo(1);
  }

  @Test
  void aWarningWithoutAPatchIsLoggedAsUnchangedLikeTheMetric() {
    List<String> lines = new CopyOnWriteArrayList<>();
    Handler capture =
        new Handler() {
          @Override
          public void publish(LogRecord r) {
            if (r.getLevel().intValue() >= Level.INFO.intValue()) {
              lines.add(r.getMessage());
            }
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    Logger logger = Logger.getLogger(AdmissionHandler.class.getName());
    logger.addHandler(capture);
    try {
      String before = scrape();
      // An unknown region: a warning in the answer, no patch.
      post(Endpoint.MUTATE.path(), Reviews.fixture("create-unknown-region.json"), 200);
      assertThat(
              delta(
                  before,
                  scrape(),
                  "icr_injector_admissions_total{path=\"/mutate\",result=\"unchanged\"}"))
          .isEqualTo(1);
    } finally {
      logger.removeHandler(capture);
    }
    assertThat(lines)
        .filteredOn(l -> l.startsWith("uid=c1a1e7b0-0005-4000-8000-000000000005 "))
        .singleElement()
        .asString()
        .contains(" unchanged rewrites=[]", "unknown deprecated host")
        .doesNotContain("patched");
  }

  static void post(String path, String body, int status) {
    given().body(body).contentType(ContentType.JSON).post(path).then().statusCode(status);
  }

  static String scrape() {
    return Management.scrape();
  }

  /** The change of one series between two scrapes; a series not yet present counts as 0. */
  static double delta(String before, String after, String series) {
    return value(after, series) - value(before, series);
  }

  static double value(String scrape, String series) {
    return Management.value(scrape, series);
  }
}
