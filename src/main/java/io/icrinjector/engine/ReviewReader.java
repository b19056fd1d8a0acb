package io.icrinjector.engine;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Map;

/**
 * Reads an AdmissionReview body into a Jackson tree that holds only the members the handler and the
 * {@link MutationEngine} look at: the review's {@code apiVersion}, {@code kind} and {@code request}; the request's
 * identity, operation and dry-run flag; each pod's name, labels and annotations; and, per container, its name and
 * image. Everything else (env, probes, volumes, managedFields...) is stepped over by the streaming parser
 * without building nodes for it, which is most of the cost of reading a big pod.
 *
 * <p>What it keeps is the same tree {@code ObjectMapper.readTree} would give for those members, with the same
 * types: a member of an unexpected shape (say {@code spec.containers} that is not a list) is kept whole, so the
 * engine's checks see it and name it. Skipped members are still tokenised, so a body that is not JSON fails
 * here just as it would with {@code readTree}. List entries are all kept, so indices (and JSON Pointers) match
 * the body.
 */
public final class ReviewReader {

  /** How much of a value to keep: all of it, or, for an object or list, only some members. */
  private record Shape(Map<String, Shape> members, Shape element) {
    static final Shape WHOLE = new Shape(null, null);

    static Shape object(Map<String, Shape> members) {
      return new Shape(members, null);
    }

    static Shape listOf(Shape element) {
      return new Shape(null, element);
    }
  }

  private static final Shape CONTAINERS = Shape.listOf(Shape.object(Map.of("name", Shape.WHOLE, "image", Shape.WHOLE)));
  private static final Shape POD = Shape.object(Map.of(
      "metadata", Shape.object(Map.of(
          "name", Shape.WHOLE, "generateName", Shape.WHOLE, "labels", Shape.WHOLE, "annotations", Shape.WHOLE)),
      "spec", Shape.object(Map.of(
          "initContainers", CONTAINERS, "containers", CONTAINERS, "ephemeralContainers", CONTAINERS,
          "imagePullSecrets", Shape.WHOLE))));
  private static final Shape REVIEW = Shape.object(Map.of(
      "apiVersion", Shape.WHOLE,
      "kind", Shape.WHOLE,
      "request", Shape.object(Map.ofEntries(
          Map.entry("uid", Shape.WHOLE), Map.entry("kind", Shape.WHOLE), Map.entry("operation", Shape.WHOLE),
          Map.entry("subResource", Shape.WHOLE), Map.entry("namespace", Shape.WHOLE), Map.entry("name", Shape.WHOLE),
          Map.entry("dryRun", Shape.WHOLE), Map.entry("object", POD), Map.entry("oldObject", POD)))));

  private final ObjectMapper mapper;
  private final JsonNodeFactory nodes;

  /** @param mapper the application's mapper: its parser settings and limits apply */
  public ReviewReader(ObjectMapper mapper) {
    this.mapper = mapper;
    this.nodes = mapper.getNodeFactory();
  }

  /**
   * Reads the review.
   *
   * @return the pruned review, a non-object node when the body holds another JSON value, or {@code null} when
   *     it holds none
   * @throws IOException when the body is not JSON (a {@link com.fasterxml.jackson.core.JsonProcessingException})
   */
  public JsonNode read(byte[] body) throws IOException {
    try (JsonParser p = mapper.getFactory().createParser(body)) {
      return p.nextToken() == null ? null : value(p, REVIEW);
    }
  }

  /** Reads the value at the parser's current token and leaves the parser on its last token. */
  private JsonNode value(JsonParser p, Shape shape) throws IOException {
    JsonToken t = p.currentToken();
    if (shape.members() != null && t == JsonToken.START_OBJECT) {
      ObjectNode object = nodes.objectNode();
      for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
        Shape member = shape.members().get(name);
        p.nextToken();
        if (member == null) {
          p.skipChildren();
        } else {
          object.set(name, value(p, member));
        }
      }
      return object;
    }
    if (shape.element() != null && t == JsonToken.START_ARRAY) {
      ArrayNode list = nodes.arrayNode();
      while (p.nextToken() != JsonToken.END_ARRAY) {
        list.add(value(p, shape.element()));
      }
      return list;
    }
    return whole(p);
  }

  /** The whole value at the current token, as {@code readTree} builds it. */
  private JsonNode whole(JsonParser p) throws IOException {
    return switch (p.currentToken()) {
      case VALUE_STRING -> nodes.textNode(p.getText());
      case VALUE_TRUE -> nodes.booleanNode(true);
      case VALUE_FALSE -> nodes.booleanNode(false);
      case VALUE_NULL -> nodes.nullNode();
      default -> mapper.readTree(p); // objects, lists and numbers, with the mapper's own settings
    };
  }
}
