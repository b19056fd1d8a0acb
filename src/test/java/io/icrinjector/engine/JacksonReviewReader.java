package io.icrinjector.engine;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Map;

/**
 * The oracle of {@link ReviewScannerDifferentialTest}: {@link ReviewReader} as it was before its hand-written
 * scanner, on Jackson's streaming parser ({@code skipChildren} for what it does not keep). Same shapes, same
 * bound, same trailing-data rule.
 */
final class JacksonReviewReader {

  /** What to keep of a value: a scalar as it is, or, for an object or list, only some members. */
  private record Shape(Map<String, Shape> members, Shape element) {
    static final Shape SCALAR = new Shape(null, null);

    static Shape object(Map<String, Shape> members) {
      return new Shape(members, null);
    }

    static Shape listOf(Shape element) {
      return new Shape(null, element);
    }
  }

  /**
   * Most container and pull-secret entries one review may hold, over all its lists. A real pod has a handful;
   * this bounds the tree, the decision and the patch of one review to a few MiB whatever the body holds.
   */
  public static final int MAX_LIST_ENTRIES = ReviewReader.MAX_LIST_ENTRIES;

  private static final Shape CONTAINERS =
      Shape.listOf(Shape.object(Map.of("name", Shape.SCALAR, "image", Shape.SCALAR)));
  private static final Shape POD =
      Shape.object(
          Map.of(
              "metadata",
                  Shape.object(
                      Map.of(
                          "name",
                          Shape.SCALAR,
                          "generateName",
                          Shape.SCALAR,
                          "labels",
                          Shape.object(Map.of(MutationEngine.SKIP_LABEL, Shape.SCALAR)),
                          "annotations",
                          Shape.object(Map.of(MutationEngine.MIRROR_ANNOTATION, Shape.SCALAR)))),
              "spec",
                  Shape.object(
                      Map.of(
                          "initContainers",
                          CONTAINERS,
                          "containers",
                          CONTAINERS,
                          "ephemeralContainers",
                          CONTAINERS,
                          "imagePullSecrets",
                          Shape.listOf(Shape.object(Map.of("name", Shape.SCALAR)))))));
  private static final Shape REVIEW =
      Shape.object(
          Map.of(
              "apiVersion", Shape.SCALAR,
              "kind", Shape.SCALAR,
              "request",
                  Shape.object(
                      Map.ofEntries(
                          Map.entry("uid", Shape.SCALAR),
                          Map.entry(
                              "kind",
                              Shape.object(
                                  Map.of(
                                      "group",
                                      Shape.SCALAR,
                                      "version",
                                      Shape.SCALAR,
                                      "kind",
                                      Shape.SCALAR))),
                          Map.entry("operation", Shape.SCALAR),
                          Map.entry("subResource", Shape.SCALAR),
                          Map.entry("namespace", Shape.SCALAR),
                          Map.entry("name", Shape.SCALAR),
                          Map.entry("dryRun", Shape.SCALAR),
                          Map.entry("object", POD),
                          Map.entry("oldObject", POD)))));

  private final ObjectMapper mapper;
  private final JsonNodeFactory nodes;

  /** @param mapper the application's mapper: its parser settings and limits apply */
  JacksonReviewReader(ObjectMapper mapper) {
    this.mapper = mapper;
    this.nodes = mapper.getNodeFactory();
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
    try (JsonParser p = mapper.getFactory().createParser(body, offset, length)) {
      if (p.nextToken() == null) {
        return null;
      }
      JsonNode review = value(p, REVIEW, new int[] {MAX_LIST_ENTRIES});
      // Jackson reads a stream of root values; a review is exactly one, and bytes after it are not
      // ignored.
      JsonToken next;
      try {
        next = p.nextToken();
      } catch (JsonProcessingException e) {
        next = JsonToken.NOT_AVAILABLE;
      }
      if (next != null) {
        throw new MalformedReviewException(
            "trailing data after the review object, at byte "
                + p.currentTokenLocation().getByteOffset());
      }
      return review;
    }
  }

  /**
   * Reads the value at the parser's current token and leaves the parser on its last token.
   *
   * @param entriesLeft how many more list entries may be kept, shared by the whole review
   */
  private JsonNode value(JsonParser p, Shape shape, int[] entriesLeft) throws IOException {
    JsonToken t = p.currentToken();
    if (shape.members() != null && t == JsonToken.START_OBJECT) {
      ObjectNode object = nodes.objectNode();
      for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
        Shape member = shape.members().get(name);
        p.nextToken();
        if (member == null) {
          p.skipChildren();
        } else {
          object.set(name, value(p, member, entriesLeft));
        }
      }
      return object;
    }
    if (shape.element() != null && t == JsonToken.START_ARRAY) {
      ArrayNode list = nodes.arrayNode();
      while (p.nextToken() != JsonToken.END_ARRAY) {
        if (--entriesLeft[0] < 0) {
          throw new MalformedReviewException(
              "more than " + MAX_LIST_ENTRIES + " containers and pull secrets in one review");
        }
        list.add(value(p, shape.element(), entriesLeft));
      }
      return list;
    }
    return scalar(p);
  }

  /**
   * The value at the current token as {@code readTree} builds it, when it is a scalar. A structure where a scalar
   * (or one of another shape) was expected is stepped over and stands as an empty one: its type is all the
   * engine's checks look at, and keeping it would let one member hold the whole body.
   */
  private JsonNode scalar(JsonParser p) throws IOException {
    return switch (p.currentToken()) {
      case VALUE_STRING -> nodes.textNode(p.getText());
      case VALUE_TRUE -> nodes.booleanNode(true);
      case VALUE_FALSE -> nodes.booleanNode(false);
      case VALUE_NULL -> nodes.nullNode();
      case START_OBJECT -> {
        p.skipChildren();
        yield nodes.objectNode();
      }
      case START_ARRAY -> {
        p.skipChildren();
        yield nodes.arrayNode();
      }
      default -> mapper.readTree(p); // numbers, with the mapper's own settings
    };
  }
}
