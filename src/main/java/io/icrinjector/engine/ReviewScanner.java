package io.icrinjector.engine;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

/**
 * One pass of {@link ReviewReader} over the bytes of a body: builds the kept members with the mapper's node
 * factory and steps over the rest with a loop that checks it is JSON without making anything of it. Its layers,
 * each a superclass of the next: {@link JsonCursor} (position, spaces, numbers, words, errors), {@link
 * JsonStrings} (strings and names) and {@link JsonSkipper} (what is not kept).
 *
 * <p>Hand-written rather than Jackson's streaming parser because stepping over a member with Jackson
 * ({@code skipChildren}) still tokenises it: every skipped member name is decoded and looked up in the symbol
 * table, every string run through the generic tokenizer, a parser context made per level. A profile of a
 * typical 6.6 KB pod put 21 % of the webhook's CPU per review in that skipping and another 18 % in reading the
 * kept levels (names decoded, canonicalised, then looked up in a map). Here a skipped member is compared as
 * bytes against the few wanted names and never becomes a String.
 *
 * <p>What it accepts and refuses is what Jackson 2.21's UTF-8 parser does with the mapper's default features
 * (checked against it by {@code ReviewScannerDifferentialTest} on thousands of mutated reviews): the JSON grammar
 * (no comments, no trailing commas, no leading zeros, the eight escapes and {@code \}{@code uXXXX}), no raw
 * control characters in strings, UTF-8 checked as Jackson checks it (a 2, 3 or 4 byte lead followed by its
 * continuation bytes; no encoded surrogate in a name or a string it decodes, though one in a string it steps
 * over passes; an escaped surrogate in a name must be half of a pair), and the mapper's {@link
 * StreamReadConstraints} for nesting depth, name length (in UTF-8 bytes) and number length. The skipping loop is
 * iterative: a hostile body may nest deep. A kept integer becomes the node Jackson's tree reader makes of it
 * with the default settings (int, else long, else BigInteger); under the mapper's integer coercions, and for
 * any other number, the mapper reads it itself so the node types are its own. Two refusals where Jackson may accept: a body in UTF-16 or UTF-32, which Jackson
 * detects from its first bytes (the API server sends UTF-8), and a name holding a 0xFF byte, which Jackson's
 * name table can mistake for a shorter name it has seen before (it pads names with 0xFF bytes).
 */
final class ReviewScanner extends JsonSkipper {

  /** The settings under which Jackson makes integers otherwise than {@link #integer} does. */
  private static final int INT_COERCIONS =
      DeserializationFeature.USE_BIG_INTEGER_FOR_INTS.getMask()
          | DeserializationFeature.USE_LONG_FOR_INTS.getMask();

  private final ObjectMapper mapper;
  private final JsonNodeFactory nodes;
  private int entriesLeft = ReviewReader.MAX_LIST_ENTRIES;

  ReviewScanner(ObjectMapper mapper, byte[] body, int offset, int length) {
    super(mapper.getFactory().streamReadConstraints(), body, offset, length);
    this.mapper = mapper;
    this.nodes = mapper.getNodeFactory();
  }

  /** The review as {@link ReviewReader#read(byte[], int, int)} returns it. */
  JsonNode read(ReviewShape review) throws IOException {
    if (end - pos >= 4 // Jackson looks for one only in a body of four bytes or more
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
          if (number() && !mapper.getDeserializationConfig().hasSomeOfFeatures(INT_COERCIONS)) {
            return integer(from, pos);
          }
          return mapper.readTree(b, from, pos - from); // with the mapper's own number settings
        }
        throw unexpected(c, "a value");
    }
  }

  /**
   * The integer between {@code from} and {@code to} as Jackson's tree reader makes it with the default
   * settings: an int node when it fits, else a long one, else a BigInteger one.
   */
  private JsonNode integer(int from, int to) {
    boolean negative = b[from] == '-';
    int digits = negative ? from + 1 : from;
    if (to - digits <= 18) {
      long value = 0;
      for (int p = digits; p < to; p++) {
        value = value * 10 + (b[p] - '0');
      }
      value = negative ? -value : value;
      return value == (int) value ? nodes.numberNode((int) value) : nodes.numberNode(value);
    }
    BigInteger value = new BigInteger(new String(b, from, to - from, StandardCharsets.US_ASCII));
    return value.bitLength() < 64 ? nodes.numberNode(value.longValue()) : nodes.numberNode(value);
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

  /** Reads a member name and its colon: the index of the shape's member it names, or -1. */
  private int memberName(ReviewShape shape) throws IOException {
    int c = space();
    if (c != '"') {
      throw unexpected(c, "a member name in double quotes");
    }
    final byte[] b = this.b;
    int from = pos + 1;
    int p = from;
    while (p < end && !SPECIAL[b[p] & 0xFF]) {
      p++;
    }
    int member;
    if (p < end && b[p] == '"') {
      checkNameLength(p - from);
      member = shape.indexOf(b, from, p - from);
      pos = p + 1;
    } else {
      pos = from; // escapes, non-ASCII or an error: decode it as Jackson would
      String name = string(true);
      checkNameLength(stringBytes);
      member = shape.indexOf(name);
    }
    colon();
    return member;
  }
}
