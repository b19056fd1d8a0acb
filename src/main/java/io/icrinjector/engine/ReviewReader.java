package io.icrinjector.engine;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Reads an AdmissionReview body into a Jackson tree that holds only the members the handler and the
 * {@link MutationEngine} look at: the review's {@code apiVersion}, {@code kind} and {@code request}; the request's
 * identity, kind, operation and dry-run flag; each pod's name, its opt-out label and mirror annotation, its pull
 * secrets' names and, per container, its name and image. Everything else (env, probes, volumes, other labels,
 * managedFields...) is stepped over by a hand-written scanner over the bytes ({@link ReviewScanner}, which says
 * why it is not Jackson's streaming parser) without building nodes or Strings for it.
 *
 * <p>What it keeps is the same tree {@code ObjectMapper.readTree} would give for those members, with the same
 * types. A member of an unexpected shape (say {@code spec.containers} that is not a list) is kept as a value of
 * the same type, an empty object or list standing in for a structure, so the engine's checks see its type and
 * name it. Skipped members are still checked against JSON's grammar, so a body that is not JSON fails here (with
 * a {@link com.fasterxml.jackson.core.JsonParseException} naming the byte) just as it would with {@code
 * readTree} (the two refusals where Jackson may accept are in {@link ReviewScanner}'s notes: UTF-16 or UTF-32
 * bodies, and names with a 0xFF byte). List entries are all kept, so indices (and JSON Pointers) match the body.
 *
 * <p>Memory: what is kept grows with the containers and pull secrets of the review, not with the rest of it; at
 * most {@value #MAX_LIST_ENTRIES} of those are read (a hostile 7 MiB review of 140,000 containers took more
 * than the whole 128 MiB heap), and a body with anything but whitespace after the review is refused.
 */
public final class ReviewReader {

  /**
   * Most container and pull-secret entries one review may hold, over all its lists. A real pod has a handful;
   * this bounds the tree, the decision and the patch of one review to a few MiB whatever the body holds.
   */
  public static final int MAX_LIST_ENTRIES = 10_000;

  private static final ReviewShape CONTAINERS =
      ReviewShape.listOf(
          ReviewShape.object(Map.of("name", ReviewShape.SCALAR, "image", ReviewShape.SCALAR)));
  private static final ReviewShape POD =
      ReviewShape.object(
          Map.of(
              "metadata",
                  ReviewShape.object(
                      Map.of(
                          "name",
                          ReviewShape.SCALAR,
                          "generateName",
                          ReviewShape.SCALAR,
                          "labels",
                          ReviewShape.object(Map.of(MutationEngine.SKIP_LABEL, ReviewShape.SCALAR)),
                          "annotations",
                          ReviewShape.object(
                              Map.of(MutationEngine.MIRROR_ANNOTATION, ReviewShape.SCALAR)))),
              "spec",
                  ReviewShape.object(
                      Map.of(
                          "initContainers",
                          CONTAINERS,
                          "containers",
                          CONTAINERS,
                          "ephemeralContainers",
                          CONTAINERS,
                          "imagePullSecrets",
                          ReviewShape.listOf(
                              ReviewShape.object(Map.of("name", ReviewShape.SCALAR)))))));
  private static final ReviewShape REVIEW =
      ReviewShape.object(
          Map.of(
              "apiVersion", ReviewShape.SCALAR,
              "kind", ReviewShape.SCALAR,
              "request",
                  ReviewShape.object(
                      Map.ofEntries(
                          Map.entry("uid", ReviewShape.SCALAR),
                          Map.entry(
                              "kind",
                              ReviewShape.object(
                                  Map.of(
                                      "group",
                                      ReviewShape.SCALAR,
                                      "version",
                                      ReviewShape.SCALAR,
                                      "kind",
                                      ReviewShape.SCALAR))),
                          Map.entry("operation", ReviewShape.SCALAR),
                          Map.entry("subResource", ReviewShape.SCALAR),
                          Map.entry("namespace", ReviewShape.SCALAR),
                          Map.entry("name", ReviewShape.SCALAR),
                          Map.entry("dryRun", ReviewShape.SCALAR),
                          Map.entry("object", POD),
                          Map.entry("oldObject", POD)))));

  private final ObjectMapper mapper;

  /**
   * Parser features that change what is JSON or how it is refused, which the scanner does not honour: it reads
   * as Jackson does with all of them off.
   */
  private static final List<JsonParser.Feature> UNHONOURED =
      List.of(
          JsonParser.Feature.ALLOW_COMMENTS,
          JsonParser.Feature.ALLOW_YAML_COMMENTS,
          JsonParser.Feature.ALLOW_UNQUOTED_FIELD_NAMES,
          JsonParser.Feature.ALLOW_SINGLE_QUOTES,
          JsonParser.Feature.ALLOW_UNQUOTED_CONTROL_CHARS,
          JsonParser.Feature.ALLOW_BACKSLASH_ESCAPING_ANY_CHARACTER,
          JsonParser.Feature.ALLOW_NUMERIC_LEADING_ZEROS,
          JsonParser.Feature.ALLOW_LEADING_DECIMAL_POINT_FOR_NUMBERS,
          JsonParser.Feature.ALLOW_NON_NUMERIC_NUMBERS,
          JsonParser.Feature.ALLOW_MISSING_VALUES,
          JsonParser.Feature.ALLOW_TRAILING_COMMA,
          JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  /**
   * @param mapper the application's mapper: its limits and integer settings apply
   * @throws IllegalArgumentException when it enables a parser feature the scanner does not honour
   */
  public ReviewReader(ObjectMapper mapper) {
    for (JsonParser.Feature feature : UNHONOURED) {
      if (mapper.isEnabled(feature)) {
        throw new IllegalArgumentException(
            "the mapper enables JsonParser.Feature."
                + feature
                + ", which the review scanner does not honour: it reads JSON as Jackson does with"
                + " that feature off");
      }
    }
    this.mapper = mapper;
  }

  /**
   * Reads the review.
   *
   * @return the pruned review, a non-object node when the body holds another JSON value, or {@code null} when
   *     it holds none
   * @throws IOException when the body is not JSON (a {@link com.fasterxml.jackson.core.JsonProcessingException})
   * @throws MalformedReviewException when something follows the review, or it holds more than
   *     {@value #MAX_LIST_ENTRIES} containers and pull secrets
   */
  public JsonNode read(byte[] body) throws IOException {
    return read(body, 0, body.length);
  }

  /** {@link #read(byte[])} over {@code length} bytes of {@code body} from {@code offset}. */
  public JsonNode read(byte[] body, int offset, int length) throws IOException {
    return new ReviewScanner(mapper, body, offset, length).read(REVIEW);
  }
}
