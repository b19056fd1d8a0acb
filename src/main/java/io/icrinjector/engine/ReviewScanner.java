package io.icrinjector.engine;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * One pass of {@link ReviewReader} over the bytes of a body: builds the kept members with the mapper's node
 * factory and steps over the rest with a loop that checks it is JSON without making anything of it.
 *
 * <p>Hand-written rather than Jackson's streaming parser because stepping over a member with Jackson
 * ({@code skipChildren}) still tokenises it: every skipped member name is decoded and looked up in the symbol
 * table, every string run through the generic tokenizer, a parser context made per level. A profile of a
 * typical 6.6 KB pod put 21 % of the webhook's CPU per review in that skipping and another 18 % in reading the
 * kept levels (names decoded, canonicalised, then looked up in a map). Here a skipped member is compared as
 * bytes against the few wanted names and never becomes a String.
 *
 * <p>What it accepts and refuses is what Jackson's UTF-8 parser does with the mapper's default features: the
 * JSON grammar (no comments, no trailing commas, no leading zeros, the eight escapes and {@code \}{@code uXXXX}),
 * no raw control characters in strings, UTF-8 checked as Jackson checks it (a lead byte of a 2, 3 or 4 byte
 * sequence followed by that many continuation bytes), and the mapper's {@link StreamReadConstraints} for nesting
 * depth, name length and number length. The skipping loop is iterative: a hostile body may nest deep. Kept
 * numbers, which a review rarely holds, are handed to the mapper so their node types are its own. A body in
 * UTF-16 or UTF-32, which Jackson would detect from its first bytes, is refused: the API server sends UTF-8.
 */
final class ReviewScanner extends JsonStrings {

  private final ObjectMapper mapper;
  private final JsonNodeFactory nodes;
  private int entriesLeft = ReviewReader.MAX_LIST_ENTRIES;

  /** Per nesting level being skipped: an object (true) or a list. */
  private boolean[] inObject;

  ReviewScanner(ObjectMapper mapper, byte[] body, int offset, int length) {
    super(mapper.getFactory().streamReadConstraints(), body, offset, length);
    this.mapper = mapper;
    this.nodes = mapper.getNodeFactory();
  }

  /** The review as {@link ReviewReader#read(byte[], int, int)} returns it. */
  JsonNode read(ReviewShape review) throws IOException {
    if (end - pos >= 3
        && b[pos] == (byte) 0xEF
        && b[pos + 1] == (byte) 0xBB
        && b[pos + 2] == (byte) 0xBF) {
      pos += 3; // a UTF-8 byte order mark, which Jackson steps over too
    }
    int first = space();
    if (first < 0) {
      return null;
    }
    JsonNode root = value(review, 0);
    if (pos < end && !isSpace(b[pos]) && isNumberStart(first)) {
      // Jackson wants a root number followed by space, not glued to what follows
      throw error("expected space after a root-level value, found " + describe(b[pos] & 0xFF));
    }
    if (space() >= 0) {
      throw new MalformedReviewException(
          "trailing data after the review object, at byte " + (pos - start));
    }
    return root;
  }

  private JsonNode value(ReviewShape shape, int depth) throws IOException {
    int c = space();
    if (c == '{' && shape.isObject()) {
      return object(shape, depth + 1);
    }
    if (c == '[' && shape.element() != null) {
      return list(shape.element(), depth + 1);
    }
    switch (c) {
      case '"':
        pos++;
        return nodes.textNode(string(false));
      case 't':
        word(TRUE);
        return nodes.booleanNode(true);
      case 'f':
        word(FALSE);
        return nodes.booleanNode(false);
      case 'n':
        word(NULL);
        return nodes.nullNode();
      case '{':
        skip(depth);
        return nodes.objectNode();
      case '[':
        skip(depth);
        return nodes.arrayNode();
      default:
        if (isNumberStart(c)) {
          int from = pos;
          number();
          return mapper.readTree(b, from, pos - from); // with the mapper's own number settings
        }
        throw unexpected(c, "a value");
    }
  }

  private ObjectNode object(ReviewShape shape, int depth) throws IOException {
    enter(depth);
    ObjectNode object = nodes.objectNode();
    if (space() == '}') {
      pos++;
      return object;
    }
    while (true) {
      int member = memberName(shape);
      if (member < 0) {
        skip(depth);
      } else {
        object.set(shape.name(member), value(shape.member(member), depth));
      }
      int c = space();
      pos++;
      if (c == '}') {
        return object;
      }
      if (c != ',') {
        pos--;
        throw unexpected(c, "',' or '}'");
      }
    }
  }

  private ArrayNode list(ReviewShape element, int depth) throws IOException {
    enter(depth);
    ArrayNode list = nodes.arrayNode();
    if (space() == ']') {
      pos++;
      return list;
    }
    while (true) {
      if (--entriesLeft < 0) {
        throw new MalformedReviewException(
            "more than "
                + ReviewReader.MAX_LIST_ENTRIES
                + " containers and pull secrets in one review");
      }
      list.add(value(element, depth));
      int c = space();
      pos++;
      if (c == ']') {
        return list;
      }
      if (c != ',') {
        pos--;
        throw unexpected(c, "',' or ']'");
      }
    }
  }

  /**
   * Steps over the value at {@code pos} (after spaces), inside {@code depth} open levels, checking it is JSON.
   * Iterative: one flag per open level says whether a member name or an entry comes next.
   */
  private void skip(int depth) throws IOException {
    final int base = depth;
    int c = space();
    while (true) {
      switch (c) {
        case '{' -> {
          open(++depth, true);
          if (space() == '}') {
            pos++;
            depth--;
          } else {
            skipName();
            c = space();
            continue;
          }
        }
        case '[' -> {
          open(++depth, false);
          c = space();
          if (c == ']') {
            pos++;
            depth--;
          } else {
            continue;
          }
        }
        case '"' -> {
          pos++;
          skipString();
        }
        case 't' -> word(TRUE);
        case 'f' -> word(FALSE);
        case 'n' -> word(NULL);
        default -> {
          if (!isNumberStart(c)) {
            throw unexpected(c, "a value");
          }
          number();
        }
      }
      // after a value: close levels until one goes on with a ',' or the value skipped is done
      while (depth > base) {
        c = space();
        boolean object = inObject[depth];
        if (c == ',') {
          pos++;
          if (object) {
            skipName();
          }
          break;
        }
        if (c != (object ? '}' : ']')) {
          throw unexpected(c, object ? "',' or '}'" : "',' or ']'");
        }
        pos++;
        depth--;
      }
      if (depth == base) {
        return;
      }
      c = space();
    }
  }

  private void open(int depth, boolean object) throws IOException {
    enter(depth);
    if (inObject == null || inObject.length <= depth) {
      inObject = new boolean[Math.max(depth + 1, limits.getMaxNestingDepth() + 2)];
    }
    inObject[depth] = object;
  }

  private void enter(int depth) throws IOException {
    if (depth > limits.getMaxNestingDepth()) {
      throw error(
          "document nesting depth ("
              + depth
              + ") exceeds the maximum allowed ("
              + limits.getMaxNestingDepth()
              + ")");
    }
    pos++;
  }

  /** Reads a member name and its colon: the index of the shape's member it names, or -1. */
  private int memberName(ReviewShape shape) throws IOException {
    int c = space();
    if (c != '"') {
      throw unexpected(c, "a member name in double quotes");
    }
    int from = ++pos;
    while (pos < end && !SPECIAL[b[pos] & 0xFF]) {
      pos++;
    }
    int member;
    if (pos < end && b[pos] == '"') {
      checkNameLength(pos - from);
      member = shape.indexOf(b, from, pos - from);
      pos++;
    } else {
      pos = from; // escapes, non-ASCII or an error: decode it as Jackson would
      String name = string(true);
      checkNameLength(utf8Length(name));
      member = shape.indexOf(name);
    }
    colon();
    return member;
  }
}
