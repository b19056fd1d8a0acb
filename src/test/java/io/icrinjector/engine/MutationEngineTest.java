package io.icrinjector.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class MutationEngineTest {

  static final ObjectMapper JSON = new ObjectMapper();
  static final RewriteRules DEFAULTS = DefaultRules.of();
  static final String SHA =
      "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

  private final MutationEngine engine = new MutationEngine(DEFAULTS);

  static Stream<Arguments> rewriteTable() {
    return Stream.of(
        // name, image, expected final image (same = untouched), pull secret expected
        Arguments.of("global host", "registry.bluemix.net/acme/app:1", "icr.io/acme/app:1", true),
        Arguments.of(
            "us south", "registry.ng.bluemix.net/acme/app:1", "us.icr.io/acme/app:1", true),
        Arguments.of(
            "uk south", "registry.eu-gb.bluemix.net/acme/app:1", "uk.icr.io/acme/app:1", true),
        Arguments.of(
            "eu central", "registry.eu-de.bluemix.net/acme/app:1", "de.icr.io/acme/app:1", true),
        Arguments.of(
            "ap south", "registry.au-syd.bluemix.net/acme/app:1", "au.icr.io/acme/app:1", true),
        Arguments.of(
            "case-insensitive host",
            "Registry.Ng.Bluemix.Net/acme/app",
            "us.icr.io/acme/app",
            true),
        Arguments.of(
            "explicit 443 is the same host",
            "registry.ng.bluemix.net:443/acme/app",
            "us.icr.io/acme/app",
            true),
        Arguments.of(
            "digest kept",
            "registry.ng.bluemix.net/acme/app@" + SHA,
            "us.icr.io/acme/app@" + SHA,
            true),
        Arguments.of(
            "tag@digest kept",
            "registry.ng.bluemix.net/acme/app:7@" + SHA,
            "us.icr.io/acme/app:7@" + SHA,
            true),
        Arguments.of(
            "no tag kept as no tag",
            "registry.ng.bluemix.net/acme/app",
            "us.icr.io/acme/app",
            true),
        Arguments.of(
            "other port untouched",
            "registry.ng.bluemix.net:5000/acme/app",
            "registry.ng.bluemix.net:5000/acme/app",
            false),
        Arguments.of(
            "suffix lookalike",
            "registry.ng.bluemix.net.evil.example/acme/app",
            "registry.ng.bluemix.net.evil.example/acme/app",
            false),
        Arguments.of(
            "prefix lookalike",
            "myregistry.ng.bluemix.net/acme/app",
            "myregistry.ng.bluemix.net/acme/app",
            false),
        Arguments.of(
            "host inside the path",
            "docker.io/registry.ng.bluemix.net/app",
            "docker.io/registry.ng.bluemix.net/app",
            false),
        Arguments.of(
            "host as docker hub name",
            "quay.io/registry.ng.bluemix.net:1",
            "quay.io/registry.ng.bluemix.net:1",
            false),
        Arguments.of(
            "unknown region untouched",
            "registry.jp-tok.bluemix.net/acme/app",
            "registry.jp-tok.bluemix.net/acme/app",
            false),
        Arguments.of("docker hub untouched", "nginx:1.25", "nginx:1.25", false),
        Arguments.of(
            "already icr.io gets secret", "us.icr.io/acme/app:1", "us.icr.io/acme/app:1", true),
        Arguments.of("global icr.io gets secret", "icr.io/acme/app:1", "icr.io/acme/app:1", true),
        Arguments.of(
            "private icr.io gets secret",
            "private.de.icr.io/acme/app",
            "private.de.icr.io/acme/app",
            true),
        Arguments.of(
            "icr.io lookalike no secret",
            "icr.io.evil.example/acme/app",
            "icr.io.evil.example/acme/app",
            false),
        Arguments.of(
            "invalid reference untouched",
            "registry.ng.bluemix.net/Acme/App",
            "registry.ng.bluemix.net/Acme/App",
            false));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rewriteTable")
  void appliesTheRewriteTable(String name, String image, String expected, boolean secret) {
    Decision d = engine.decide(createPod(pod(container("c", image))));
    assertThat(d.skipReason()).isNull();
    if (expected.equals(image)) {
      assertThat(d.changes()).isEmpty();
    } else {
      assertThat(d.changes())
          .singleElement()
          .satisfies(
              c -> {
                assertThat(c.pointer()).isEqualTo("/spec/containers/0/image");
                assertThat(c.from()).isEqualTo(image);
                assertThat(c.to()).isEqualTo(expected);
              });
    }
    assertThat(d.secretsToAttach()).isEqualTo(secret ? List.of("all-icr-io") : List.of());
  }

  static Stream<Arguments> replacements() {
    return Stream.of(
        // name, image, what the migration report shows as its replacement (null: not on a
        // deprecated host)
        Arguments.of("rewritten", "registry.ng.bluemix.net/acme/app:1", "us.icr.io/acme/app:1"),
        Arguments.of(
            "rewritten, explicit 443",
            "registry.eu-de.bluemix.net:443/acme/app",
            "de.icr.io/acme/app"),
        Arguments.of(
            "unknown region: itself",
            "registry.jp-tok.bluemix.net/acme/app",
            "registry.jp-tok.bluemix.net/acme/app"),
        Arguments.of(
            "other port: itself",
            "registry.ng.bluemix.net:5000/acme/app",
            "registry.ng.bluemix.net:5000/acme/app"),
        Arguments.of(
            "invalid reference: itself",
            "registry.ng.bluemix.net/Acme/App",
            "registry.ng.bluemix.net/Acme/App"),
        Arguments.of("lookalike", "registry.ng.bluemix.net.evil.example/acme/app", null),
        Arguments.of("host inside the path", "docker.io/registry.ng.bluemix.net/app", null),
        Arguments.of("already icr.io", "us.icr.io/acme/app:1", null),
        Arguments.of("docker hub", "nginx:1.25", null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("replacements")
  void replacementOfNamesWhatTheReportShows(String name, String image, String expected) {
    assertThat(engine.replacementOf(image)).isEqualTo(expected);
  }

  @Test
  void theMigrationReportGetsAnAnswerForAnImageOfThousandsOfParts() throws Exception {
    // The report classifies every image of the cluster; one such pod used to make GET /report
    // answer 500.
    String image = "registry.ng.bluemix.net/" + "a-".repeat(1_500) + "a:1";
    java.util.concurrent.CompletableFuture<Object> outcome =
        new java.util.concurrent.CompletableFuture<>();
    Thread report =
        new Thread(
            null,
            () -> {
              try {
                outcome.complete(engine.replacementOf(image));
              } catch (Throwable e) { // StackOverflowError included
                outcome.complete(e);
              }
            },
            "report",
            1024 * 1024);
    report.start();
    assertThat(outcome.get(60, java.util.concurrent.TimeUnit.SECONDS))
        .as("on a deprecated host, left alone")
        .isEqualTo(image);
  }

  static Stream<Arguments> warnings() {
    return Stream.of(
        Arguments.of(
            "unknown deprecated region",
            "registry.jp-tok.bluemix.net/acme/app",
            "unknown deprecated host registry.jp-tok.bluemix.net"),
        Arguments.of(
            "deprecated host on another port",
            "registry.ng.bluemix.net:5000/acme/app",
            "only the default port"),
        Arguments.of(
            "invalid reference on deprecated host",
            "registry.ng.bluemix.net/Acme/App",
            "left unchanged: invalid"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("warnings")
  void warnsAboutDeprecatedHostsItLeavesAlone(String name, String image, String warning) {
    Decision d = engine.decide(createPod(pod(container("web", image))));
    assertThat(d.warnings())
        .singleElement()
        .asString()
        .startsWith("container web: ")
        .contains(warning);
  }

  @Test
  void lookalikesAndOrdinaryImagesGetNoWarning() {
    Decision d =
        engine.decide(
            createPod(
                pod(
                    container("a", "myregistry.ng.bluemix.net/x"),
                    container("b", "registry.ng.bluemix.net.evil.example/x"),
                    container("c", "nginx"))));
    assertThat(d.warnings()).isEmpty();
  }

  @Test
  void rewritesInitEphemeralAndRegularContainers() {
    ObjectNode pod = pod(container("app", "registry.ng.bluemix.net/a/app:1"));
    ((ObjectNode) pod.get("spec"))
        .set(
            "initContainers",
            JSON.createArrayNode().add(container("init", "registry.eu-de.bluemix.net/a/init:1")));
    ((ObjectNode) pod.get("spec"))
        .set(
            "ephemeralContainers",
            JSON.createArrayNode().add(container("debug", "registry.au-syd.bluemix.net/a/dbg")));
    Decision d = engine.decide(createPod(pod));
    assertThat(d.changes())
        .extracting(ImageChange::pointer, ImageChange::to)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                "/spec/initContainers/0/image", "de.icr.io/a/init:1"),
            org.assertj.core.groups.Tuple.tuple("/spec/containers/0/image", "us.icr.io/a/app:1"),
            org.assertj.core.groups.Tuple.tuple(
                "/spec/ephemeralContainers/0/image", "au.icr.io/a/dbg"));
    assertThat(d.secretsToAttach()).containsExactly("all-icr-io");
  }

  @Test
  void attachesOnceAndKeepsExistingEntries() {
    ObjectNode pod =
        pod(
            container("a", "registry.ng.bluemix.net/x/a"),
            container("b", "registry.eu-gb.bluemix.net/x/b"));
    ((ObjectNode) pod.get("spec"))
        .set(
            "imagePullSecrets",
            JSON.createArrayNode().add(JSON.createObjectNode().put("name", "mine")));
    Decision d = engine.decide(createPod(pod));
    assertThat(d.secretsToAttach()).containsExactly("all-icr-io");
    assertThat(d.pullSecretListExists()).isTrue();
  }

  @Test
  void doesNotAttachASecretThePodAlreadyLists() {
    ObjectNode pod = pod(container("a", "us.icr.io/x/a"));
    ((ObjectNode) pod.get("spec"))
        .set(
            "imagePullSecrets",
            JSON.createArrayNode().add(JSON.createObjectNode().put("name", "all-icr-io")));
    Decision d = engine.decide(createPod(pod));
    assertThat(d.changesPod()).isFalse();
    assertThat(d.secretsNeeded()).containsExactly("all-icr-io");
  }

  @Test
  void everyMatchingRuleAttachesItsSecretOnce() {
    RewriteRules rules =
        RewriteRules.of(
            DEFAULTS.rewrites().entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .toList(),
            List.of(
                "*.icr.io=all-icr-io",
                "us.icr.io/other-account=other-account-pull",
                "registry.example.com=example-pull"));
    Decision d =
        new MutationEngine(rules)
            .decide(
                createPod(
                    pod(
                        container("a", "registry.ng.bluemix.net/other-account/a"),
                        container("b", "us.icr.io/acme/b"),
                        container("c", "registry.example.com/c"),
                        container("d", "registry.example.com/d"))));
    assertThat(d.secretsToAttach())
        .containsExactly("all-icr-io", "other-account-pull", "example-pull");
  }

  static Stream<Arguments> skips() {
    return Stream.of(
        Arguments.of("not a pod", review("CREATE", "", "Deployment", "apps"), "not a Pod"),
        Arguments.of("update", review("UPDATE", "", "Pod", ""), "not a pod create"),
        Arguments.of("delete", review("DELETE", "", "Pod", ""), "not a pod create"),
        Arguments.of(
            "status subresource", review("UPDATE", "status", "Pod", ""), "not a pod create"),
        Arguments.of(
            "mirror pod",
            withMeta(
                createPod(pod(container("a", "registry.ng.bluemix.net/x/a"))),
                "annotations",
                MutationEngine.MIRROR_ANNOTATION,
                "abc"),
            "mirror pod"),
        Arguments.of(
            "opted out",
            withMeta(
                createPod(pod(container("a", "registry.ng.bluemix.net/x/a"))),
                "labels",
                MutationEngine.SKIP_LABEL,
                "true"),
            "icr-injector.io/skip"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("skips")
  void skipsWhatIsNotItsBusiness(String name, ObjectNode request, String reason) {
    Decision d = engine.decide(request);
    assertThat(d.skipReason()).contains(reason);
    assertThat(d.changesPod()).isFalse();
    assertThat(d.secretsNeeded()).isEmpty();
  }

  @Test
  void skipLabelOtherThanTrueDoesNotOptOut() {
    Decision d =
        engine.decide(
            withMeta(
                createPod(pod(container("a", "registry.ng.bluemix.net/x/a"))),
                "labels",
                MutationEngine.SKIP_LABEL,
                "false"));
    assertThat(d.changes()).hasSize(1);
  }

  @Test
  void ephemeralSubresourceRewritesOnlyNewEphemeralContainersAndAttachesNothing() {
    ObjectNode old = pod(container("app", "registry.ng.bluemix.net/x/app"));
    ((ObjectNode) old.get("spec"))
        .set(
            "ephemeralContainers",
            JSON.createArrayNode().add(container("old", "registry.ng.bluemix.net/x/old")));
    ObjectNode updated = old.deepCopy();
    ((ArrayNode) updated.get("spec").get("ephemeralContainers"))
        .add(container("new", "registry.ng.bluemix.net/x/dbg"));
    ObjectNode request = review("UPDATE", "ephemeralcontainers", "Pod", "");
    request.set("object", updated);
    request.set("oldObject", old);
    Decision d = engine.decide(request);
    assertThat(d.changes())
        .extracting(ImageChange::pointer)
        .containsExactly("/spec/ephemeralContainers/1/image");
    assertThat(d.secretsToAttach()).isEmpty();
  }

  static Stream<Arguments> malformed() {
    ObjectNode noKind = createPod(pod());
    noKind.remove("kind");
    ObjectNode noObject = createPod(pod());
    noObject.remove("object");
    ObjectNode specArray = createPod(pod());
    ((ObjectNode) specArray.get("object")).set("spec", JSON.createArrayNode());
    ObjectNode containersObject = createPod(pod());
    ((ObjectNode) containersObject.get("object").get("spec"))
        .set("containers", JSON.createObjectNode());
    ObjectNode containerString = createPod(pod());
    ((ObjectNode) containerString.get("object").get("spec"))
        .set("initContainers", JSON.createArrayNode().add("x"));
    ObjectNode secretsString = createPod(pod(container("a", "us.icr.io/a")));
    ((ObjectNode) secretsString.get("object").get("spec")).put("imagePullSecrets", "all-icr-io");
    return Stream.of(
        Arguments.of("no kind", noKind, "request.kind"),
        Arguments.of("no object", noObject, "request.object"),
        Arguments.of("spec not an object", specArray, "request.object.spec"),
        Arguments.of("containers not a list", containersObject, "request.object.spec.containers"),
        Arguments.of(
            "container not an object", containerString, "request.object.spec.initContainers[0]"),
        Arguments.of(
            "imagePullSecrets not a list", secretsString, "request.object.spec.imagePullSecrets"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void namesTheMalformedField(String name, ObjectNode request, String field) {
    assertThatThrownBy(() -> engine.decide(request))
        .isInstanceOf(MalformedReviewException.class)
        .hasMessageContaining(field);
  }

  // --- builders
  // --------------------------------------------------------------------------------------------

  static ObjectNode container(String name, String image) {
    return JSON.createObjectNode().put("name", name).put("image", image);
  }

  static ObjectNode pod(ObjectNode... containers) {
    ObjectNode pod = JSON.createObjectNode().put("apiVersion", "v1").put("kind", "Pod");
    pod.putObject("metadata").put("name", "p");
    ArrayNode list = pod.putObject("spec").putArray("containers");
    for (ObjectNode c : containers) {
      list.add(c);
    }
    return pod;
  }

  static ObjectNode review(String operation, String subResource, String kind, String group) {
    ObjectNode request =
        JSON.createObjectNode().put("uid", "u").put("operation", operation).put("namespace", "ns");
    request.putObject("kind").put("group", group).put("version", "v1").put("kind", kind);
    if (!subResource.isEmpty()) {
      request.put("subResource", subResource);
    }
    request.set("object", pod(container("a", "registry.ng.bluemix.net/x/a")));
    return request;
  }

  static ObjectNode createPod(ObjectNode pod) {
    ObjectNode request = review("CREATE", "", "Pod", "");
    request.set("object", pod);
    return request;
  }

  static ObjectNode withMeta(ObjectNode request, String field, String key, String value) {
    ((ObjectNode) request.get("object").get("metadata")).putObject(field).put(key, value);
    return request;
  }
}
