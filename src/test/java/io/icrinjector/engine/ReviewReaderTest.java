package io.icrinjector.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icrinjector.door.Reviews;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The pruned tree decides exactly as the full tree does, and keeps what the handler reads. */
class ReviewReaderTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final ReviewReader READER = new ReviewReader(MAPPER);
  private static final MutationEngine ENGINE = new MutationEngine(DefaultRules.of());

  static Stream<String> fixtures() {
    return Stream.of(
        "create-us-south",
        "create-all-lists",
        "create-icr-null-secrets",
        "ephemeral-add",
        "create-dry-run",
        "create-lookalikes",
        "create-unknown-region",
        "create-skip-label",
        "create-mirror",
        "update-pod",
        "delete-pod",
        "create-deployment");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fixtures")
  void decidesAsTheFullTreeDoes(String fixture) throws Exception {
    byte[] body = Reviews.fixture(fixture + ".json").getBytes(StandardCharsets.UTF_8);
    JsonNode full = MAPPER.readTree(body);
    JsonNode pruned = READER.read(body);

    assertThat(ENGINE.decide(pruned.get("request"))).isEqualTo(ENGINE.decide(full.get("request")));
    for (String pointer :
        List.of(
            "/apiVersion",
            "/kind",
            "/request/uid",
            "/request/namespace",
            "/request/name",
            "/request/dryRun",
            "/request/object/metadata/name",
            "/request/object/metadata/generateName",
            "/request/object/metadata/labels/icr-injector.io~1skip",
            "/request/object/metadata/annotations/kubernetes.io~1config.mirror",
            "/request/object/spec/imagePullSecrets/0/name",
            "/request/object/spec/containers/0/image")) {
      assertThat(pruned.at(pointer)).as(pointer).isEqualTo(full.at(pointer));
    }
    assertThat(pruned.at("/request/object/spec/containers/0/env").isMissingNode()).isTrue();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "{\"request\":{\"uid\":\"u\"}} {}",
        "{\"request\":{\"uid\":\"u\"}}x",
        "{\"request\":{\"uid\":\"u\"}}]",
        "{\"request\":{\"uid\":\"u\"}}\"tail\""
      })
  void refusesTrailingData(String json) {
    assertThatThrownBy(() -> READER.read(json.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(MalformedReviewException.class)
        .hasMessageContaining("trailing data after the review object");
  }

  @org.junit.jupiter.api.Test
  void trailingWhitespaceIsNotData() throws Exception {
    assertThat(
            READER
                .read("{\"request\":{\"uid\":\"u\"}} \n\t".getBytes(StandardCharsets.UTF_8))
                .at("/request/uid")
                .asText())
        .isEqualTo("u");
  }

  @org.junit.jupiter.api.Test
  void refusesMoreListEntriesThanTheBound() throws Exception {
    StringBuilder json =
        new StringBuilder("{\"request\":{\"uid\":\"u\",\"object\":{\"spec\":{\"containers\":[");
    for (int i = 0; i <= ReviewReader.MAX_LIST_ENTRIES; i++) {
      json.append(i == 0 ? "" : ",")
          .append("{\"name\":\"c")
          .append(i)
          .append("\",\"image\":\"nginx\"}");
    }
    String over = json + "]}}}}";
    assertThatThrownBy(() -> READER.read(over.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(MalformedReviewException.class)
        .hasMessageContaining(
            "more than " + ReviewReader.MAX_LIST_ENTRIES + " containers and pull secrets");
    // one fewer is read
    String atBound = json.substring(0, json.lastIndexOf(",{")) + "]}}}}";
    assertThat(
            READER
                .read(atBound.getBytes(StandardCharsets.UTF_8))
                .at("/request/object/spec/containers")
                .size())
        .isEqualTo(ReviewReader.MAX_LIST_ENTRIES);
  }

  @org.junit.jupiter.api.Test
  void keepsOnlyTheLabelAndAnnotationTheEngineReads() throws Exception {
    String json =
        "{\"request\":{\"uid\":\"u\",\"object\":{\"metadata\":{"
            + "\"labels\":{\"app\":\"x\",\"icr-injector.io/skip\":\"true\"},"
            + "\"annotations\":{\"big\":\""
            + "y".repeat(1000)
            + "\",\"kubernetes.io/config.mirror\":\"m\"}},"
            + "\"spec\":{\"imagePullSecrets\":[{\"name\":\"s\",\"other\":[1,2,3]}]}}}}";
    JsonNode pod = READER.read(json.getBytes(StandardCharsets.UTF_8)).at("/request/object");
    assertThat(pod.at("/metadata/labels").size()).isEqualTo(1);
    assertThat(pod.at("/metadata/labels/icr-injector.io~1skip").asText()).isEqualTo("true");
    assertThat(pod.at("/metadata/annotations").size()).isEqualTo(1);
    assertThat(pod.at("/metadata/annotations").has("kubernetes.io/config.mirror")).isTrue();
    assertThat(pod.at("/spec/imagePullSecrets/0").size()).isEqualTo(1);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "{\"request\":{\"uid\":\"u\",\"object\":{\"spec\":{\"containers\":\"not a list\"}}}}",
        "{\"request\":{\"uid\":\"u\",\"object\":{\"spec\":{\"containers\":[1,null,{\"image\":7}]}}}}",
        "{\"request\":{\"uid\":\"u\",\"object\":[],\"oldObject\":{\"spec\":5}}}",
        "{\"request\":\"x\"}",
        "[1,2]",
        "{\"a\":1,\"a\":2,\"request\":{\"uid\":\"first\",\"uid\":\"second\"}}"
      })
  void keepsOddShapesWhole(String json) throws Exception {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    JsonNode full = MAPPER.readTree(body);
    JsonNode pruned = READER.read(body);
    for (String pointer :
        List.of(
            "",
            "/request",
            "/request/uid",
            "/request/object",
            "/request/object/spec",
            "/request/object/spec/containers",
            "/request/oldObject/spec")) {
      JsonNode kept = pruned.at(pointer);
      JsonNode original = full.at(pointer);
      assertThat(kept.getNodeType()).as(pointer).isEqualTo(original.getNodeType());
      if (kept.isValueNode()) {
        assertThat(kept).as(pointer).isEqualTo(original);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "this is not json",
        "{\"request\":{\"uid\":\"u\",\"x\":[1,2}}",
        "{\"request\":{\"uid\":\"u\""
      })
  void failsOnWhatIsNotJsonEvenWhereItSkips(String json) {
    assertThatThrownBy(() -> READER.read(json.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(JsonProcessingException.class);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"", "   "})
  void noValueIsNull(String json) throws Exception {
    assertThat(READER.read(json.getBytes(StandardCharsets.UTF_8))).isNull();
  }

  @org.junit.jupiter.api.Test
  void readsEscapedMemberNamesAndStringsAsTheirText() throws Exception {
    String json =
        "{\"request\":{\"uid\":\"u\",\"object\":{\"spec\":{\"c\\u006fntainers\":"
            + "[{\"im\\u0061ge\":\"a\\u00e9\\uD83D\\uDE00\\/\\\"é😀\",\"x\":\"\\u0000\"}]}}}}";
    JsonNode containers =
        READER.read(json.getBytes(StandardCharsets.UTF_8)).at("/request/object/spec/containers");
    assertThat(containers.get(0).get("image").asText()).isEqualTo("aé😀/\"é😀");
    assertThat(containers.get(0).size()).isEqualTo(1);
  }

  @org.junit.jupiter.api.Test
  void refusesNestingBeyondJacksonsBoundWithoutRecursing() {
    int depth = 100_000;
    String json =
        "{\"request\":{\"uid\":\"u\",\"x\":" + "[".repeat(depth) + "]".repeat(depth) + "}}";
    assertThatThrownBy(() -> READER.read(json.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(JsonProcessingException.class)
        .hasMessageContaining("nesting depth (1001) exceeds the maximum allowed (1000)");
  }

  @org.junit.jupiter.api.Test
  void namesTheByteWhereTheBodyStopsBeingJson() {
    String json = "{\"request\":{\"uid\":\"u\",\"x\":[1,}}";
    assertThatThrownBy(() -> READER.read(json.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(JsonProcessingException.class)
        .hasMessageContaining(
            "unexpected character '}', expected a value, at byte " + json.indexOf('}'));
  }

  @org.junit.jupiter.api.Test
  void refusesUtf16ThatJacksonWouldDetect() throws Exception {
    byte[] utf16 = "{\"request\":{\"uid\":\"u\"}}".getBytes(StandardCharsets.UTF_16LE);
    assertThat(MAPPER.readTree(utf16).isObject()).isTrue();
    assertThatThrownBy(() -> READER.read(utf16)).isInstanceOf(JsonProcessingException.class);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusals")
  void namesTheByteThatIsNotJson(String hex, String message) {
    byte[] body = java.util.HexFormat.of().parseHex(hex);
    assertThatThrownBy(() -> READER.read(body))
        .isInstanceOf(JsonProcessingException.class)
        .hasMessageContaining(message);
  }

  static Stream<org.junit.jupiter.params.provider.Arguments> refusals() {
    String head = hex("{\"request\":{\"uid\":");
    return Stream.of(
        // "-é": a non-ASCII byte after a minus, not the end of input
        org.junit.jupiter.params.provider.Arguments.of(
            head + "2dc3a97d7d", "unexpected byte 0xC3, expected a digit"),
        org.junit.jupiter.params.provider.Arguments.of(
            head + "22ff227d7d", "invalid UTF-8 start byte 0xFF,"),
        org.junit.jupiter.params.provider.Arguments.of(
            head + "22c3227d7d", "invalid UTF-8 middle byte 0x22,"));
  }

  private static String hex(String ascii) {
    return java.util.HexFormat.of().formatHex(ascii.getBytes(StandardCharsets.US_ASCII));
  }

  @org.junit.jupiter.api.Test
  void refusesAMapperWithAParserFeatureItDoesNotHonour() {
    ObjectMapper strict =
        new ObjectMapper()
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    assertThatThrownBy(() -> new ReviewReader(strict))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("JsonParser.Feature.STRICT_DUPLICATE_DETECTION");
    ObjectMapper comments =
        new ObjectMapper().enable(com.fasterxml.jackson.core.JsonParser.Feature.ALLOW_COMMENTS);
    assertThatThrownBy(() -> new ReviewReader(comments))
        .hasMessageContaining("JsonParser.Feature.ALLOW_COMMENTS");
  }
}
