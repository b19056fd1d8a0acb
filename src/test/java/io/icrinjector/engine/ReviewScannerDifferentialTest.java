package io.icrinjector.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link ReviewReader}'s hand-written scanner against the Jackson streaming reader it replaced ({@link
 * JacksonReviewReader}, the oracle): on every review fixture, on generated small, typical and large pods, and on
 * thousands of seeded random mutations of them (bytes flipped, cut, inserted and deleted; quotes, backslashes,
 * escapes, control characters, invalid UTF-8, numbers, nesting about the depth limit, duplicate and escaped
 * member names), both refuse or both give equal trees.
 */
class ReviewScannerDifferentialTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final ReviewReader SCANNER = new ReviewReader(MAPPER);
  private static final JacksonReviewReader ORACLE = new JacksonReviewReader(MAPPER);
  private static final int MAX_DEPTH =
      MAPPER.getFactory().streamReadConstraints().getMaxNestingDepth();

  /** Pieces a mutation inserts or writes over: JSON's structure, escapes, and what Jackson refuses. */
  private static final List<byte[]> PIECES = new ArrayList<>();

  static {
    for (String piece :
        List.of(
            "{",
            "}",
            "[",
            "]",
            "\"",
            "\\",
            ",",
            ":",
            " ",
            "\t",
            "\n",
            "-",
            ".",
            "e",
            "E",
            "+",
            "0",
            "01",
            "1.",
            "1e",
            "-0",
            "1e999999",
            "1.5e-3",
            "true",
            "nul",
            "falsey",
            "/",
            "#",
            "//x\n",
            "\\u00e9",
            "\\uD83D\\uDE00",
            "\\uDE00",
            "\\u12",
            "\\uzzzz",
            "\\x",
            "\\/",
            "\\b\\f\\n\\r\\t",
            "\\\"",
            "\"im\\u0061ge\":",
            "\"n\\u0061me\":",
            "\"\\u0072equest\":",
            "\"name\":\"dup\",",
            "\"image\":1,",
            // numbers where the reader keeps them: int, long, BigInteger, negative, exponent,
            // fraction
            "\"uid\":2147483647,",
            "\"uid\":-2147483648,",
            "\"dryRun\":2147483648,",
            "\"dryRun\":-2147483649,",
            "\"name\":999999999999999999,",
            "\"name\":-9223372036854775808,",
            "\"image\":9223372036854775807,",
            "\"image\":9223372036854775808,",
            "\"uid\":-92233720368547758090,",
            "\"dryRun\":123456789012345678901234567890,",
            "\"dryRun\":-0,",
            "\"name\":1e3,",
            "\"image\":-2.5E-7,",
            "\"uid\":0.125,",
            "\"containers\":[],",
            "é",
            "€",
            "😀",
            "\"a\":{},",
            "[[[]]]",
            "{\"x\":[1,{}]}")) {
      PIECES.add(piece.getBytes(StandardCharsets.UTF_8));
    }
    for (int[] raw :
        new int[][] {
          {0x00},
          {0x1F},
          {0x7F},
          {0x80},
          {0xBF},
          {0xC0, 0x80},
          {0xC3},
          {0xC3, 0x28},
          {0xE2, 0x82},
          {0xED, 0xA0, 0x80},
          {0xEF, 0xBB, 0xBF},
          {0xF0, 0x9F, 0x98},
          {0xF4, 0x90, 0x80, 0x80},
          {0xF5, 0x80, 0x80, 0x80},
          {0xF8},
          {0xFE},
          {0xFF}
        }) {
      byte[] bytes = new byte[raw.length];
      for (int i = 0; i < raw.length; i++) {
        bytes[i] = (byte) raw[i];
      }
      PIECES.add(bytes);
    }
    PIECES.add("9".repeat(1000).getBytes(StandardCharsets.US_ASCII));
    PIECES.add("9".repeat(1001).getBytes(StandardCharsets.US_ASCII));
    PIECES.add(("1." + "5".repeat(999)).getBytes(StandardCharsets.US_ASCII));
  }

  static Stream<String> fixtures() throws Exception {
    List<String> names = new ArrayList<>();
    Path folder =
        Path.of(
            ReviewScannerDifferentialTest.class.getClassLoader().getResource("reviews").toURI());
    try (Stream<Path> files = Files.list(folder)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        String name = file.getFileName().toString();
        if (name.endsWith(".json") && !name.endsWith(".expected.json")) {
          names.add(name);
        }
      }
    }
    assertThat(names).hasSizeGreaterThan(10);
    return names.stream().sorted();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fixtures")
  void agreesOnEveryFixture(String fixture) throws IOException {
    byte[] body;
    try (InputStream in = resource("reviews/" + fixture)) {
      body = in.readAllBytes();
    }
    assertThat(agree(body)).as(fixture).isEqualTo("accepted");
  }

  @Test
  void agreesOnGeneratedPods() {
    for (byte[] body : generated()) {
      assertThat(agree(body)).isEqualTo("accepted");
    }
  }

  @Test
  void agreesOnRandomMutations() throws Exception {
    List<byte[]> seeds = generated();
    for (String fixture : fixtures().toList()) {
      try (InputStream in = resource("reviews/" + fixture)) {
        seeds.add(in.readAllBytes());
      }
    }
    Random random = new Random(22);
    Map<String, Integer> outcomes = new LinkedHashMap<>();
    for (int i = 0; i < 20_000; i++) {
      byte[] body = seeds.get(random.nextInt(seeds.size()));
      int mutations = 1 + random.nextInt(3);
      for (int m = 0; m < mutations; m++) {
        body = mutate(body, random);
      }
      outcomes.merge(agree(body), 1, Integer::sum);
    }
    // both kinds of outcome are well represented, so the agreement means something
    assertThat(outcomes.getOrDefault("accepted", 0)).isGreaterThan(2_500);
    assertThat(outcomes.getOrDefault("refused", 0)).isGreaterThan(2_500);
  }

  @Test
  void refusesA0xFFByteInAMemberName() {
    for (String name : List.of("\u00FFuid", "uid\u00FF", "\u00FF", "ui\u00FFd")) {
      String json = "{\"request\":{\"uid\":\"u\",\"" + name + "\":1}}";
      byte[] body = json.getBytes(StandardCharsets.ISO_8859_1);
      assertThat(agree(body)).as(json).isEqualTo("refused");
    }
  }

  @Test
  void agreesAboutAByteOrderMark() {
    byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    assertThat(agree(bom)).isEqualTo("refused");
    for (String after : List.of(" ", "\n\n", "1", "{}", "{\"request\":{\"uid\":\"u\"}}")) {
      byte[] tail = after.getBytes(StandardCharsets.UTF_8);
      byte[] body = new byte[3 + tail.length];
      System.arraycopy(bom, 0, body, 0, 3);
      System.arraycopy(tail, 0, body, 3, tail.length);
      agree(body);
    }
  }

  @Test
  void countsANameInRawBytes() {
    int max = MAPPER.getFactory().streamReadConstraints().getMaxNameLength();
    // overlong sequences: more bytes than the character they decode to needs
    int[][] sequences = {{0xC0, 0x80}, {0xE0, 0x80, 0x80}, {0xF0, 0x80, 0x80, 0x80}, {0xC3, 0xA9}};
    Map<String, Integer> outcomes = new LinkedHashMap<>();
    for (int[] sequence : sequences) {
      for (int spare = -1; spare <= 1; spare++) {
        for (String prefix : List.of("{\"request\":{\"uid\":\"u\",\"", "{\"request\":{\"")) {
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          out.writeBytes(prefix.getBytes(StandardCharsets.US_ASCII));
          out.writeBytes(
              "a".repeat(max - sequence.length + spare).getBytes(StandardCharsets.US_ASCII));
          for (int c : sequence) {
            out.write(c);
          }
          out.writeBytes("\":1}}".getBytes(StandardCharsets.US_ASCII));
          outcomes.merge(agree(out.toByteArray()), 1, Integer::sum);
        }
      }
    }
    assertThat(outcomes).containsKeys("accepted", "refused");
  }

  @Test
  void agreesAboutTheDepthLimit() {
    for (int depth : new int[] {MAX_DEPTH - 3, MAX_DEPTH - 2, MAX_DEPTH - 1, MAX_DEPTH, 100_000}) {
      String open = "[".repeat(depth);
      String close = "]".repeat(depth);
      for (String json :
          List.of(
              "{\"request\":{\"uid\":\"u\",\"x\":" + open + close + "}}",
              "{\"request\":{\"uid\":\"u\",\"x\":" + open + "{\"a\":1}" + close + "}}",
              "{\"request\":{\"object\":{\"spec\":{\"containers\":[{\"env\":"
                  + open
                  + close
                  + "}]}}}}",
              "{\"request\":{\"uid\":" + open + close + "}}",
              open + close,
              "{\"request\":{\"uid\":\"u\",\"x\":" + open + "}}")) {
        agree(json.getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  /**
   * Reads {@code body} with both readers and fails unless they agree: "accepted" with equal trees, or "refused"
   * by both (a body whose first bytes Jackson takes for UTF-16 or UTF-32 may be refused by the scanner alone).
   */
  private static String agree(byte[] body) {
    Object actual = outcome(SCANNER::read, body);
    // the same bytes at an offset, inside bytes that would go on a string, a name or a sequence
    Object inside = outcome(bytes -> SCANNER.read(padded(bytes), PAD, bytes.length), body);
    assertThat(sameOutcome(inside, actual))
        .as("read at offset %d among padding: %s, alone: %s", PAD, inside, actual)
        .isTrue();
    if (indexOf(body, (byte) 0xFF, 0) >= 0) {
      // never in UTF-8: the scanner refuses it anywhere. Jackson is no judge here: its table of
      // member names pads names with 0xFF bytes, so a name holding one can be taken for a
      // shorter name read before ({"request":{"uid":"u","<FF>uid":1}} read as uid=1).
      assertThat(actual)
          .as("a body with a 0xFF byte: %s", around(body, actual))
          .isInstanceOf(Exception.class);
      return "refused";
    }
    Object expected = outcome(ORACLE::read, body);
    Object refusal = actual instanceof Exception ? actual : expected;
    var shown =
        new Object() {
          @Override
          public String toString() {
            return around(body, refusal);
          }
        };
    if (expected instanceof Exception) {
      assertThat(actual)
          .as("refused by Jackson (%s): %s", expected, shown)
          .isInstanceOf(Exception.class);
      // and for the same kind of reason: not JSON, or JSON that is not a review it reads
      assertThat(actual instanceof MalformedReviewException)
          .as("refused by Jackson (%s) and by the scanner (%s): %s", expected, actual, shown)
          .isEqualTo(expected instanceof MalformedReviewException);
      return "refused";
    }
    if (actual instanceof Exception && notUtf8(body)) {
      return "refused by the scanner only: not UTF-8";
    }
    assertThat(actual).as("accepted by Jackson: %s", shown).isEqualTo(expected);
    return "accepted";
  }

  private static final int PAD = 7;
  private static final byte[] PADDING = {
    '"', '}', ']', '\\', (byte) 0x80, (byte) 0xBF, (byte) 0xA9, '"', '}', ']', '\\', (byte) 0x80
  };

  /** {@code body} at offset {@link #PAD} of a larger array, with padding before and after. */
  private static byte[] padded(byte[] body) {
    byte[] buf = new byte[body.length + PAD + PADDING.length];
    System.arraycopy(PADDING, 0, buf, 0, PAD);
    System.arraycopy(body, 0, buf, PAD, body.length);
    System.arraycopy(PADDING, 0, buf, PAD + body.length, PADDING.length);
    return buf;
  }

  /** The same tree, or refused the same way (same kind and message: positions count from the offset). */
  private static boolean sameOutcome(Object a, Object b) {
    if (a instanceof Exception ea && b instanceof Exception eb) {
      return ea.getClass() == eb.getClass()
          && java.util.Objects.equals(ea.getMessage(), eb.getMessage());
    }
    return a.equals(b);
  }

  /** The body where a refusal points ("at byte N"), or its start, with non-ASCII bytes in hex. */
  private static String around(byte[] body, Object outcome) {
    int at = 0;
    if (outcome instanceof Exception e && e.getMessage() != null) {
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile("at byte (\\d+)").matcher(e.getMessage());
      at = m.find() ? Integer.parseInt(m.group(1)) : 0;
    }
    StringBuilder shown = new StringBuilder("byte " + at + " of " + body.length + ": ");
    for (int i = Math.max(0, at - 120); i < Math.min(body.length, at + 120); i++) {
      int c = body[i] & 0xFF;
      shown.append(c >= 0x20 && c < 0x7F ? String.valueOf((char) c) : String.format("<%02X>", c));
    }
    return shown.toString();
  }

  private interface Read {
    JsonNode read(byte[] body) throws IOException;
  }

  private static Object outcome(Read reader, byte[] body) {
    try {
      JsonNode tree = reader.read(body);
      return tree == null ? "no value" : tree;
    } catch (IOException | MalformedReviewException e) {
      return e;
    }
  }

  /** What Jackson's encoding detection reads as UTF-16 or UTF-32: a zero byte or a BOM up front. */
  private static boolean notUtf8(byte[] body) {
    for (int i = 0; i < Math.min(4, body.length); i++) {
      if (body[i] == 0 || body[i] == (byte) 0xFE || body[i] == (byte) 0xFF) {
        return true;
      }
    }
    return false;
  }

  private static byte[] mutate(byte[] body, Random random) {
    int at = body.length == 0 ? 0 : random.nextInt(body.length);
    byte[] piece = PIECES.get(random.nextInt(PIECES.size()));
    ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + piece.length + 16);
    switch (random.nextInt(7)) {
      case 0 -> { // flip one byte
        byte[] copy = body.clone();
        if (copy.length > 0) {
          copy[at] = (byte) random.nextInt(256);
        }
        return copy;
      }
      case 1 -> { // cut
        out.write(body, 0, at);
      }
      case 2 -> { // insert a piece
        out.write(body, 0, at);
        out.writeBytes(piece);
        out.write(body, at, body.length - at);
      }
      case 3 -> { // write a piece over
        out.write(body, 0, at);
        out.writeBytes(piece);
        int from = Math.min(body.length, at + piece.length);
        out.write(body, from, body.length - from);
      }
      case 4 -> { // delete a run
        int to = Math.min(body.length, at + 1 + random.nextInt(8));
        out.write(body, 0, at);
        out.write(body, to, body.length - to);
      }
      case 5 -> { // nest a value (after a colon) about the depth limit
        int colon = indexOf(body, (byte) ':', at);
        if (colon < 0) {
          return body;
        }
        int depth = MAX_DEPTH - 12 + random.nextInt(16);
        out.write(body, 0, colon + 1);
        out.writeBytes("[".repeat(depth).getBytes(StandardCharsets.US_ASCII));
        out.writeBytes("{\"k\":\"\\u00e9\\\"\"}".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes("]".repeat(depth).getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(",\"z\":".getBytes(StandardCharsets.US_ASCII));
        out.write(body, colon + 1, body.length - colon - 1);
      }
      default -> { // escape one letter of a member name or string
        int quote = indexOf(body, (byte) '"', at);
        if (quote < 0 || quote + 1 >= body.length || (body[quote + 1] & 0xFF) < 'a') {
          return body;
        }
        out.write(body, 0, quote + 1);
        out.writeBytes(
            String.format("\\u%04x", body[quote + 1] & 0xFF).getBytes(StandardCharsets.US_ASCII));
        out.write(body, quote + 2, body.length - quote - 2);
      }
    }
    return out.toByteArray();
  }

  private static int indexOf(byte[] body, byte wanted, int from) {
    for (int i = from; i < body.length; i++) {
      if (body[i] == wanted) {
        return i;
      }
    }
    return -1;
  }

  /** Small, typical (about 6 KB) and large pods, with what a real pod holds besides what the reader keeps. */
  private static List<byte[]> generated() {
    List<byte[]> bodies = new ArrayList<>();
    for (int containers : new int[] {1, 3, 20}) {
      bodies.add(review(containers).toString().getBytes(StandardCharsets.UTF_8));
    }
    return bodies;
  }

  private static ObjectNode review(int containers) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode review =
        f.objectNode().put("kind", "AdmissionReview").put("apiVersion", "admission.k8s.io/v1");
    ObjectNode request =
        review.putObject("request").put("uid", "b3c5d7e9-0001-4000-8000-00000000beef");
    request.putObject("kind").put("group", "").put("version", "v1").put("kind", "Pod");
    request.putObject("resource").put("group", "").put("version", "v1").put("resource", "pods");
    request.put("namespace", "team-a").put("operation", "CREATE").put("dryRun", false);
    ObjectNode user =
        request.putObject("userInfo").put("username", "system:serviceaccount:kube-system:rs");
    user.putArray("groups").add("system:serviceaccounts").add("system:authenticated");
    ObjectNode pod = request.putObject("object");
    ObjectNode metadata = pod.putObject("metadata").put("generateName", "web-7d9f-");
    ObjectNode labels =
        metadata.putObject("labels").put("app", "web").put("tier", "front\u00e9nd \uD83D\uDE00");
    labels.put("icr-injector.io/skip", "false");
    metadata.putObject("annotations").put("note", "line\none \"quoted\" \\ tab\t\u0001 / é €");
    ArrayNode managed = metadata.putArray("managedFields");
    managed
        .addObject()
        .put("manager", "kube-controller-manager")
        .put("operation", "Update")
        .putObject("fieldsV1")
        .putObject("f:metadata")
        .putObject("f:labels")
        .putObject("f:app");
    ObjectNode spec = pod.putObject("spec");
    spec.putArray("imagePullSecrets").addObject().put("name", "all-icr-io");
    ArrayNode list = spec.putArray("containers");
    for (int i = 0; i < containers; i++) {
      ObjectNode container =
          list.addObject().put("name", "c" + i).put("image", "us.icr.io/ns/app" + i + ":1.2");
      ArrayNode env = container.putArray("env");
      for (int e = 0; e < 6; e++) {
        env.addObject().put("name", "VAR_" + e).put("value", "v\u00e0lue " + e + " \"q\"");
      }
      container.putObject("resources").putObject("limits").put("cpu", "500m").put("memory", 1.5e9);
      container
          .putObject("livenessProbe")
          .put("periodSeconds", 10)
          .put("initialDelaySeconds", -1)
          .put("ratio", 0.25)
          .putNull("exec")
          .putObject("httpGet")
          .put("path", "/healthz")
          .put("port", 8080);
      container.putArray("ports").addObject().put("containerPort", 8080).put("protocol", "TCP");
    }
    spec.putArray("volumes")
        .addObject()
        .put("name", "token")
        .putObject("projected")
        .put("defaultMode", 420)
        .putArray("sources")
        .addArray()
        .add(1)
        .add(true)
        .addNull();
    spec.put("priority", 0).put("enableServiceLinks", true).put("big", 12345678901234567890.0);
    return review;
  }

  private static InputStream resource(String name) {
    InputStream in = ReviewScannerDifferentialTest.class.getClassLoader().getResourceAsStream(name);
    assertThat(in).as(name).isNotNull();
    return in;
  }
}
