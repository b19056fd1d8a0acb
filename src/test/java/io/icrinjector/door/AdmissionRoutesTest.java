package io.icrinjector.door;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;

import io.icrinjector.handler.Endpoint;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The HTTP contract of /mutate and /audit over fixture reviews, patches applied with an independent RFC 6902 engine. */
@QuarkusTest
class AdmissionRoutesTest {

  static Stream<Arguments> patchedCases() {
    return Stream.of(
        Arguments.of("us-south image, no pull secrets yet", "create-us-south"),
        Arguments.of("all container lists, digests, existing secret kept", "create-all-lists"),
        Arguments.of("icr.io image, imagePullSecrets null", "create-icr-null-secrets"),
        Arguments.of("ephemeral container added by subresource", "ephemeral-add"),
        Arguments.of("dry run gets the same patch", "create-dry-run"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("patchedCases")
  void patchTurnsThePodIntoTheExpectedPod(String name, String fixture) {
    String review = Reviews.fixture(fixture + ".json");
    JsonObject response = Reviews.response(post(Endpoint.MUTATE.path(), review));

    assertThat(response.getString("uid"))
        .isEqualTo(Reviews.parse(review).getJsonObject("request").getString("uid"));
    assertThat(response.getBoolean("allowed")).isTrue();
    assertThat(response.getString("patchType")).isEqualTo("JSONPatch");
    JsonObject pod = Reviews.parse(review).getJsonObject("request").getJsonObject("object");
    JsonObject patched = Reviews.apply(Reviews.patch(response), pod);
    assertThat(patched).isEqualTo(Reviews.parse(Reviews.fixture(fixture + ".expected.json")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("patchedCases")
  void secondPassOverItsOwnOutputChangesNothing(String name, String fixture) {
    String review = Reviews.fixture(fixture + ".json");
    JsonObject response = Reviews.response(post(Endpoint.MUTATE.path(), review));
    JsonObject pod = Reviews.parse(review).getJsonObject("request").getJsonObject("object");
    JsonObject patched = Reviews.apply(Reviews.patch(response), pod);

    JsonObject second =
        Reviews.response(post(Endpoint.MUTATE.path(), Reviews.withObject(review, patched)));
    assertThat(second.getBoolean("allowed")).isTrue();
    assertThat(second.containsKey("patch")).as("second pass patch").isFalse();
  }

  @Test
  void patchTouchesOnlyImagesAndPullSecrets() {
    JsonArray patch =
        Reviews.patch(
            Reviews.response(
                post(Endpoint.MUTATE.path(), Reviews.fixture("create-all-lists.json"))));
    assertThat(patch)
        .extracting(op -> op.asJsonObject().getString("path"))
        .allMatch(
            path ->
                path.matches("/spec/(containers|initContainers|ephemeralContainers)/\\d+/image")
                    || path.startsWith("/spec/imagePullSecrets"));
    // one add of one entry at the end of the existing list: the user's own secret stays first
    assertThat(patch)
        .filteredOn(op -> op.asJsonObject().getString("op").equals("add"))
        .extracting(op -> op.asJsonObject().getString("path"))
        .containsExactly("/spec/imagePullSecrets/-");
  }

  static Stream<Arguments> untouchedCases() {
    return Stream.of(
        Arguments.of("lookalike hosts", "create-lookalikes", List.of()),
        Arguments.of(
            "unknown deprecated region",
            "create-unknown-region",
            List.of(
                "icr-injector: container a: unknown deprecated host registry.jp-tok.bluemix.net left unchanged; add it to icr.rewrites")),
        Arguments.of("pod opted out by label", "create-skip-label", List.of()),
        Arguments.of("mirror pod", "create-mirror", List.of()),
        Arguments.of("pod update", "update-pod", List.of()),
        Arguments.of("pod delete", "delete-pod", List.of()),
        Arguments.of("not a pod", "create-deployment", List.of()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("untouchedCases")
  void allowsWithoutPatch(String name, String fixture, List<String> warnings) {
    String review = Reviews.fixture(fixture + ".json");
    JsonObject response = Reviews.response(post(Endpoint.MUTATE.path(), review));
    assertThat(response.getString("uid"))
        .isEqualTo(Reviews.parse(review).getJsonObject("request").getString("uid"));
    assertThat(response.getBoolean("allowed")).isTrue();
    assertThat(response.containsKey("patch")).isFalse();
    assertThat(warnings(response)).isEqualTo(warnings);
  }

  @Test
  void auditSaysWhatWouldChangeAndPatchesNothing() {
    JsonObject response =
        Reviews.response(post(Endpoint.AUDIT.path(), Reviews.fixture("create-all-lists.json")));
    assertThat(response.getBoolean("allowed")).isTrue();
    assertThat(response.containsKey("patch")).isFalse();
    assertThat(response.containsKey("patchType")).isFalse();
    assertThat(warnings(response))
        .contains(
            "icr-injector: would rewrite container migrate: registry.bluemix.net -> icr.io",
            "icr-injector: would rewrite container app: registry.eu-gb.bluemix.net -> uk.icr.io",
            "icr-injector: would rewrite container side: registry.eu-de.bluemix.net -> de.icr.io",
            "icr-injector: would rewrite container debug: registry.au-syd.bluemix.net -> au.icr.io",
            "icr-injector: would add imagePullSecret all-icr-io");
    assertThat(warnings(response)).allMatch(w -> w.length() <= 120);
    JsonObject annotations = response.getJsonObject("auditAnnotations");
    assertThat(annotations.getString("rewrites"))
        .contains("migrate=icr.io/acme/migrate:7", "debug=au.icr.io/tools/busybox");
    assertThat(annotations.getString("pull-secrets")).isEqualTo("all-icr-io");
  }

  @Test
  void auditWarningsStayWithin120Characters() {
    String longName = "c".repeat(63);
    String review =
        Reviews.fixture("create-us-south.json")
            .replace("\"name\": \"web\"", "\"name\": \"" + longName + "\"");
    JsonObject response = Reviews.response(post(Endpoint.AUDIT.path(), review));
    assertThat(warnings(response)).isNotEmpty().allMatch(w -> w.length() <= 120);
    assertThat(warnings(response).get(0)).endsWith("...");
  }

  static Stream<Arguments> badInput() {
    return Stream.of(
        Arguments.of("not JSON", "this is not json", "body is not JSON"),
        Arguments.of("empty body", "", "body is not a JSON object"),
        Arguments.of("JSON array", "[1,2]", "body is not a JSON object"),
        Arguments.of(
            "no request",
            "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}",
            "request is missing"),
        Arguments.of(
            "request not an object", "{\"request\":\"x\"}", "request is missing or not an object"),
        Arguments.of("no uid", "{\"request\":{\"kind\":{\"kind\":\"Pod\"}}}", "request.uid"),
        Arguments.of(
            "v1beta1 review",
            "{\"apiVersion\":\"admission.k8s.io/v1beta1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u\"}}",
            "expected \"admission.k8s.io/v1\""),
        Arguments.of(
            "pod without spec",
            "{\"request\":{\"uid\":\"u\",\"kind\":{\"group\":\"\",\"kind\":\"Pod\"},\"operation\":\"CREATE\",\"object\":{\"metadata\":{}}}}",
            "request.object.spec"),
        Arguments.of(
            "truncated JSON",
            Reviews.fixture("create-us-south.json").substring(0, 500),
            "body is not JSON"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badInput")
  void badInputIs400NamingTheProblem(String name, String body, String message) {
    for (String path : List.of(Endpoint.MUTATE.path(), Endpoint.AUDIT.path())) {
      given()
          .body(body)
          .contentType(ContentType.JSON)
          .post(path)
          .then()
          .statusCode(400)
          .body(containsString(message));
    }
  }

  @Test
  void oversizedBodyIs413AndTheServerKeepsServing() throws Exception {
    // A raw socket: the server answers 413 from the Content-Length and closes, and an HTTP client
    // still
    // pushing the 8 MiB body would see a broken pipe instead of the answer.
    try (Socket socket = new Socket("localhost", RestAssured.port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST "
                  + Endpoint.MUTATE.path()
                  + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                  + "Content-Length: "
                  + (8 * 1024 * 1024)
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      byte[] chunk = new byte[64 * 1024];
      Arrays.fill(chunk, (byte) ' ');
      out.write(chunk);
      out.flush();
      String statusLine =
          new BufferedReader(
                  new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
              .readLine();
      assertThat(statusLine).startsWith("HTTP/1.1 413");
    }
    // the next review is answered as usual
    JsonObject response =
        Reviews.response(post(Endpoint.MUTATE.path(), Reviews.fixture("create-us-south.json")));
    assertThat(response.getBoolean("allowed")).isTrue();
    assertThat(response.containsKey("patch")).isTrue();
  }

  @ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.ValueSource(
      strings = {
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "text/plain",
        "application/octet-stream"
      })
  void theBodyIsAReviewWhateverItsContentType(String contentType) throws Exception {
    // java.net.http sends the bytes as they are; REST Assured would try to encode a form or a
    // multipart body.
    java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
    for (String path : List.of(Endpoint.MUTATE.path(), Endpoint.AUDIT.path())) {
      java.net.http.HttpResponse<String> answer =
          client.send(
              java.net.http.HttpRequest.newBuilder(
                      java.net.URI.create("http://localhost:" + RestAssured.port + path))
                  .header("Content-Type", contentType)
                  .POST(
                      java.net.http.HttpRequest.BodyPublishers.ofString(
                          Reviews.fixture("create-us-south.json")))
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
      assertThat(Reviews.response(answer.body()).getBoolean("allowed")).isTrue();
    }
  }

  static List<String> warnings(JsonObject response) {
    if (!response.containsKey("warnings")) {
      return List.of();
    }
    return response.getJsonArray("warnings").stream()
        .map(v -> ((JsonString) v).getString())
        .toList();
  }

  static String post(String path, String review) {
    return given()
        .body(review)
        .contentType(ContentType.JSON)
        .post(path)
        .then()
        .statusCode(200)
        .contentType(ContentType.JSON)
        .extract()
        .asString();
  }
}
