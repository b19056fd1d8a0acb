package io.icrinjector.handler;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.icrinjector.door.Reviews;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Property test over generated pods and image strings (JUnit parameterised over seeded generators, so every
 * failure names the seed that reproduces it): the handler never throws, never answers 5xx, its patches always
 * apply under strict RFC 6902, and a second pass over the result changes nothing.
 */
@QuarkusTest
@WithKubernetesTestServer(
    crud = true) // copies go somewhere, so the copy path and its warnings are exercised too
class GeneratedReviewsTest {

  private static final int CASES_PER_SEED = 250;
  private static final String[] HOSTS = {
    "registry.bluemix.net",
    "registry.ng.bluemix.net",
    "REGISTRY.EU-GB.BLUEMIX.NET",
    "registry.eu-de.bluemix.net:443",
    "registry.au-syd.bluemix.net",
    "registry.jp-tok.bluemix.net",
    "registry.ng.bluemix.net:5000",
    "registry.ng.bluemix.net.evil.example",
    "myregistry.ng.bluemix.net",
    "icr.io",
    "us.icr.io",
    "private.us.icr.io",
    "quay.io",
    "localhost:5000",
    "[::1]:5000",
    "10.1.2.3",
    "docker.io",
    ""
  };
  private static final String CHARS = "abcz019._-/:@ABZ%é \t\"\\";

  @Inject AdmissionHandler handler;

  @Inject io.fabric8.kubernetes.client.KubernetesClient client;

  /** The generated namespaces are opted in, as the API server's namespaceSelector requires of real reviews. */
  @org.junit.jupiter.api.BeforeEach
  void optIn() {
    for (int i = 0; i < 4; i++) {
      client
          .namespaces()
          .resource(
              new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                  .withNewMetadata()
                  .withName("generated-" + i)
                  .addToLabels("icr-injector.io/inject", "enabled")
                  .endMetadata()
                  .build())
          .createOr(e -> e.update());
    }
  }

  static Stream<Long> seeds() {
    return LongStream.of(1, 2, 3, 4, 20261127L).boxed();
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void handlerAnswersAndItsPatchesApply(long seed) {
    Random random = new Random(seed);
    for (int i = 0; i < CASES_PER_SEED; i++) {
      String review = review(random, "u-" + seed + "-" + i);
      String context = "seed " + seed + " case " + i + ": " + review;
      AdmissionAnswer answer =
          handler
              .handle(review.getBytes(StandardCharsets.UTF_8), random.nextInt(5) == 0)
              .await()
              .indefinitely();
      assertThat(answer.status()).as(context).isEqualTo(200);
      JsonObject response = Reviews.response(new String(answer.body(), StandardCharsets.UTF_8));
      assertThat(response.getBoolean("allowed")).as(context).isTrue();
      assertThat(response.getString("uid")).as(context).isEqualTo("u-" + seed + "-" + i);
      JsonArray patch = Reviews.patch(response);
      if (patch == null) {
        continue;
      }
      JsonObject pod = Reviews.parse(review).getJsonObject("request").getJsonObject("object");
      JsonObject patched = Reviews.apply(patch, pod); // throws if the patch does not apply
      AdmissionAnswer second =
          handler
              .handle(Reviews.withObject(review, patched).getBytes(StandardCharsets.UTF_8), false)
              .await()
              .indefinitely();
      assertThat(
              Reviews.response(new String(second.body(), StandardCharsets.UTF_8))
                  .containsKey("patch"))
          .as("second pass, " + context)
          .isFalse();
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void overHttpNothingIs5xx(long seed) {
    Random random = new Random(seed);
    for (int i = 0; i < 40; i++) {
      String body =
          random.nextBoolean()
              ? review(random, "h-" + i)
              : mangle(random, review(random, "h-" + i));
      int status =
          given()
              .body(body)
              .contentType(ContentType.JSON)
              .post(random.nextBoolean() ? Endpoint.MUTATE.path() : Endpoint.AUDIT.path())
              .then()
              .extract()
              .statusCode();
      assertThat(status).as("seed %d case %d: %s", seed, i, body).isIn(200, 400);
    }
  }

  static String review(Random r, String uid) {
    JsonObjectBuilder spec = Json.createObjectBuilder();
    for (String list : List.of("initContainers", "containers", "ephemeralContainers")) {
      int n = list.equals("containers") ? 1 + r.nextInt(4) : r.nextInt(3);
      if (n == 0 && r.nextBoolean()) {
        continue;
      }
      JsonArrayBuilder containers = Json.createArrayBuilder();
      for (int i = 0; i < n; i++) {
        JsonObjectBuilder c = Json.createObjectBuilder().add("name", list.charAt(0) + "c" + i);
        switch (r.nextInt(8)) {
          case 0 -> c.add("image", randomString(r));
          case 1 -> c.addNull("image");
          case 2 -> c.add("image", 42);
          case 3 -> {} // no image at all
          default -> c.add("image", image(r));
        }
        c.add(
            "resources",
            Json.createObjectBuilder().add("requests", Json.createObjectBuilder().add("cpu", 0.5)));
        containers.add(c);
      }
      spec.add(list, containers);
    }
    switch (r.nextInt(4)) {
      case 0 -> spec.addNull("imagePullSecrets");
      case 1 -> spec.add("imagePullSecrets", Json.createArrayBuilder());
      case 2 ->
          spec.add(
              "imagePullSecrets",
              Json.createArrayBuilder()
                  .add(
                      Json.createObjectBuilder()
                          .add("name", r.nextBoolean() ? "all-icr-io" : "mine")));
      default -> {}
    }
    spec.add("x-unknown", Json.createObjectBuilder().add("n", 1.50));
    JsonObjectBuilder metadata = Json.createObjectBuilder().add("generateName", "gen-");
    if (r.nextInt(10) == 0) {
      metadata.add(
          "labels",
          Json.createObjectBuilder()
              .add("icr-injector.io/skip", r.nextBoolean() ? "true" : "false"));
    }
    JsonObjectBuilder pod =
        Json.createObjectBuilder()
            .add("apiVersion", "v1")
            .add("kind", "Pod")
            .add("metadata", metadata)
            .add("spec", spec);
    JsonObjectBuilder request =
        Json.createObjectBuilder()
            .add("uid", uid)
            .add(
                "kind",
                Json.createObjectBuilder().add("group", "").add("version", "v1").add("kind", "Pod"))
            .add("operation", "CREATE")
            .add("namespace", "generated-" + r.nextInt(4))
            .add("dryRun", r.nextBoolean())
            .add("object", pod);
    return Json.createObjectBuilder()
        .add("apiVersion", "admission.k8s.io/v1")
        .add("kind", "AdmissionReview")
        .add("request", request)
        .build()
        .toString();
  }

  static String image(Random r) {
    String host = HOSTS[r.nextInt(HOSTS.length)];
    StringBuilder b = new StringBuilder(host.isEmpty() ? "" : host + "/");
    int segments = 1 + r.nextInt(3);
    for (int i = 0; i < segments; i++) {
      b.append(i == 0 ? "" : "/")
          .append(r.nextInt(5) == 0 ? randomString(r) : "repo" + r.nextInt(100));
    }
    if (r.nextBoolean()) {
      b.append(':').append(r.nextInt(6) == 0 ? randomString(r) : "v" + r.nextInt(10));
    }
    if (r.nextInt(4) == 0) {
      b.append("@sha256:").append("0123456789abcdef".repeat(4));
    }
    return b.toString();
  }

  static String randomString(Random r) {
    StringBuilder b = new StringBuilder();
    int n = r.nextInt(20);
    for (int i = 0; i < n; i++) {
      b.append(CHARS.charAt(r.nextInt(CHARS.length())));
    }
    return b.toString();
  }

  /** Breaks a review at random: cut it, drop a character or splice in noise. */
  static String mangle(Random r, String s) {
    int at = r.nextInt(s.length());
    return switch (r.nextInt(3)) {
      case 0 -> s.substring(0, at);
      case 1 -> s.substring(0, at) + s.substring(Math.min(s.length(), at + 1));
      default -> s.substring(0, at) + randomString(r) + s.substring(at);
    };
  }
}
