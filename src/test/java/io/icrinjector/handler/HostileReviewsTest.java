package io.icrinjector.handler;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.icrinjector.config.IcrConfig;
import io.icrinjector.door.HostileProfile;
import io.icrinjector.door.Reviews;
import io.icrinjector.engine.RewriteRules;
import io.icrinjector.management.Management;
import io.icrinjector.secrets.PullSecretCopier;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Reviews written to hurt: forged namespaces, log injection, absurd image strings, a copier that throws. */
@QuarkusTest
@TestProfile(HostileProfile.class)
class HostileReviewsTest {

  private static final String REVIEW = Reviews.fixture("create-us-south.json");

  @Inject ObjectMapper mapper;
  @Inject RewriteRules rules;
  @Inject IcrConfig config;
  @Inject AdmissionMetrics metrics;
  @Inject Vertx vertx;

  static Stream<Arguments> forgedNamespaces() {
    return Stream.of(
        Arguments.of("a slash", "kube-system/", "\"kube-system/\" is not a namespace name"),
        Arguments.of("a path", "x/../kube-system", "\"x/../kube-system\" is not a namespace name"),
        Arguments.of("a NUL", "team\u0000a", "\"team\\u0000a\" is not a namespace name"),
        Arguments.of("a newline", "team\na", "\"team\\na\" is not a namespace name"),
        Arguments.of("upper case", "Team-A", "\"Team-A\" is not a namespace name"),
        Arguments.of("a leading dash", "-team", "\"-team\" is not a namespace name"),
        Arguments.of("a dot", "team.a", "\"team.a\" is not a namespace name"),
        Arguments.of(
            "64 characters",
            "a".repeat(64),
            "is 64 characters long; a namespace name has at most 63"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("forgedNamespaces")
  void aForgedNamespaceIs400BeforeAnythingElse(String name, String namespace, String message) {
    double before = bad("/mutate") + bad("/audit");
    String review = withNamespace(REVIEW, namespace);
    for (String path : List.of(Endpoint.MUTATE.path(), Endpoint.AUDIT.path())) {
      given()
          .body(review)
          .contentType(ContentType.JSON)
          .post(path)
          .then()
          .statusCode(400)
          .body(containsString("request.namespace " + message));
    }
    assertThat(bad("/mutate") + bad("/audit") - before).isEqualTo(2);
  }

  @Test
  void validNamespacesAreAnswered() {
    String uid = Reviews.parse(REVIEW).getJsonObject("request").getString("uid");
    for (String namespace : List.of("team-a", "a", "0", "a".repeat(63), "x-1-y")) {
      String answer =
          given()
              .body(withNamespace(REVIEW, namespace))
              .contentType(ContentType.JSON)
              .post(Endpoint.AUDIT.path())
              .then()
              .statusCode(200)
              .extract()
              .asString();
      // Answered as any review is: its uid back, allowed, no patch (audit), and the finding as a
      // warning.
      JsonObject response = Reviews.response(answer);
      assertThat(response.getString("uid")).as(namespace).isEqualTo(uid);
      assertThat(response.getBoolean("allowed")).as(namespace).isTrue();
      assertThat(response.containsKey("patch")).as("patch for %s", namespace).isFalse();
      assertThat(response.getJsonArray("warnings").getValuesAs(jakarta.json.JsonString::getString))
          .as(namespace)
          .contains(
              "icr-injector: would rewrite container web: registry.ng.bluemix.net -> us.icr.io");
    }
  }

  @Test
  void aLongImageReferenceGetsAWarningNotA500() {
    String image = "registry.ng.bluemix.net/" + "a.".repeat(1_500) + "a:1";
    String review = REVIEW.replace("registry.ng.bluemix.net/acme/shop:1.4.2", image);
    String answer =
        given()
            .body(review)
            .contentType(ContentType.JSON)
            .post(Endpoint.MUTATE.path())
            .then()
            .statusCode(200)
            .extract()
            .asString();
    JsonObject response = Reviews.response(answer);
    assertThat(response.getBoolean("allowed")).isTrue();
    assertThat(response.getJsonArray("warnings").getString(0))
        .startsWith(
            "icr-injector: container web: image on registry.ng.bluemix.net left unchanged: repository name");
  }

  @Test
  void controlCharactersInNamesDoNotForgeLogLines() {
    List<LogRecord> lines = new CopyOnWriteArrayList<>();
    Handler capture =
        new Handler() {
          @Override
          public void publish(LogRecord r) {
            lines.add(r);
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    Logger logger = Logger.getLogger(AdmissionHandler.class.getName());
    logger.addHandler(capture);
    try {
      String review =
          REVIEW
              .replace(
                  "\"shop-7d9f8b6c5d-\"",
                  "\"shop-\\n00:00:00.000 INFO  [AdmissionHandler] uid=forged\\r\"")
              .replace("\"name\": \"web\"", "\"name\": \"web\\u0000\\u2028x\"");
      JsonObject response =
          Reviews.response(
              given()
                  .body(review)
                  .contentType(ContentType.JSON)
                  .post(Endpoint.AUDIT.path())
                  .then()
                  .statusCode(200)
                  .extract()
                  .asString());
      assertThat(response.getBoolean("allowed")).isTrue();
      // The client's text goes back to the client as JSON escapes it: the answer carries the same
      // name, unharmed.
      assertThat(response.getJsonArray("warnings").getValuesAs(jakarta.json.JsonString::getString))
          .anySatisfy(
              w ->
                  assertThat(w)
                      .startsWith("icr-injector: would rewrite container web\u0000\u2028x:"));
    } finally {
      logger.removeHandler(capture);
    }
    assertThat(lines).hasSize(1);
    String line = lines.get(0).getMessage();
    assertThat(line)
        .doesNotContain("\n", "\r", "\u0000", "\u2028")
        .contains("pod=shop-\\n00:00:00.000 INFO  [AdmissionHandler] uid=forged\\r*")
        .contains("would rewrite container web\\u0000\\u2028x:");
  }

  /**
   * The copy budget's remainder under a millisecond: Mutiny truncates it to a 0 ms timer, which Vert.x refuses
   * by throwing while the answer subscribes. The copier here does exactly what the replicator does then; the
   * pod must still get its answer.
   */
  @Test
  void aCopierThatThrowsWhileSubscribingStillLetsThePodThrough() throws Exception {
    PullSecretCopier subMillisecondBudget =
        new PullSecretCopier() {
          @Override
          public Uni<List<String>> ensure(String namespace, List<String> secrets, boolean dryRun) {
            return Uni.createFrom()
                .<List<String>>nothing()
                .ifNoItem()
                .after(Duration.ofNanos(500_000))
                .recoverWithItem(List.of("slow"));
          }

          @Override
          public List<String> missing(String namespace, List<String> secrets) {
            return List.of();
          }
        };
    // The premise: on an I/O thread that Uni throws as it is subscribed to, rather than failing.
    Throwable premise =
        onEventLoop(() -> subMillisecondBudget.ensure("team-a", List.of("all-icr-io"), false))
            .handle((item, e) -> e)
            .get(10, TimeUnit.SECONDS);
    assertThat(premise).hasMessageContaining("Cannot schedule a timer with delay < 1 ms");

    AdmissionHandler handler =
        new AdmissionHandler(mapper, rules, subMillisecondBudget, config, metrics);
    byte[] body = REVIEW.getBytes(StandardCharsets.UTF_8);
    AdmissionAnswer answer =
        onEventLoop(() -> handler.handle(body, false)).get(10, TimeUnit.SECONDS);

    assertThat(answer.status()).isEqualTo(200);
    JsonObject response = Reviews.response(new String(answer.body(), StandardCharsets.UTF_8));
    assertThat(response.getBoolean("allowed")).isTrue();
    assertThat(response.containsKey("patch")).as("patched all the same").isTrue();
    assertThat(response.getJsonArray("warnings").getString(0))
        .isEqualTo(
            "icr-injector: pull secret all-icr-io: copy not confirmed (internal error, see the webhook's log)");
  }

  /** Subscribes on a Vert.x event loop, as the door does; a throw while subscribing completes it too. */
  private <T> CompletableFuture<T> onEventLoop(java.util.function.Supplier<Uni<T>> uni) {
    CompletableFuture<T> result = new CompletableFuture<>();
    vertx
        .getOrCreateContext()
        .runOnContext(
            v -> {
              try {
                uni.get().subscribe().with(result::complete, result::completeExceptionally);
              } catch (Throwable e) {
                result.completeExceptionally(e);
              }
            });
    return result;
  }

  private static String withNamespace(String review, String namespace) {
    JsonObject r = Reviews.parse(review);
    JsonObject request =
        Json.createObjectBuilder(r.getJsonObject("request")).add("namespace", namespace).build();
    return Json.createObjectBuilder(r).add("request", request).build().toString();
  }

  private static double bad(String path) {
    return Management.value(
        Management.scrape(),
        "icr_injector_admissions_total{path=\"" + path + "\",result=\"bad_request\"}");
  }
}
