package io.icrinjector.engine;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The lexical base of {@link ReviewScanner}: a position in the bytes of a body, JSON's spaces, numbers and
 * {@code true}/{@code false}/{@code null} checked as Jackson's UTF-8 parser checks them, and the {@link
 * JsonParseException}s that name the byte where the body stops being JSON.
 */
abstract class JsonCursor {

  static final byte[] TRUE = {'t', 'r', 'u', 'e'};
  static final byte[] FALSE = {'f', 'a', 'l', 's', 'e'};
  static final byte[] NULL = {'n', 'u', 'l', 'l'};

  final StreamReadConstraints limits;
  final int maxNameLength;
  final byte[] b;
  final int start;
  final int end;
  int pos;

  JsonCursor(StreamReadConstraints limits, byte[] body, int offset, int length) {
    this.limits = limits;
    this.maxNameLength = limits.getMaxNameLength();
    this.b = body;
    this.start = offset;
    this.end = offset + length;
    this.pos = offset;
  }

  final void colon() throws IOException {
    int c = space();
    if (c != ':') {
      throw unexpected(c, "':' after a member name");
    }
    pos++;
  }

  /** Steps over a number in JSON's grammar, within the mapper's bound on its length: whether an integer. */
  final boolean number() throws IOException {
    if (b[pos] == '-') {
      pos++;
    }
    int from = pos;
    int c = pos < end ? b[pos] & 0xFF : -1;
    if (c == '0') {
      pos++;
      if (pos < end && isDigit(b[pos])) {
        throw error("leading zeroes not allowed");
      }
    } else if (c >= '1' && c <= '9') {
      digits();
    } else {
      throw unexpected(c, "a digit");
    }
    int length = pos - from;
    boolean integer = true;
    if (pos < end && b[pos] == '.') {
      integer = false;
      pos++;
      int digits = digits();
      if (digits == 0) {
        throw unexpected(pos < end ? b[pos] & 0xFF : -1, "a digit after the decimal point");
      }
      length += digits;
    }
    if (pos < end && (b[pos] | 0x20) == 'e') {
      integer = false;
      pos++;
      if (pos < end && (b[pos] == '+' || b[pos] == '-')) {
        pos++;
      }
      int digits = digits();
      if (digits == 0) {
        throw unexpected(pos < end ? b[pos] & 0xFF : -1, "a digit of the exponent");
      }
      length += digits;
    }
    if (length > limits.getMaxNumberLength()) {
      throw error(
          (integer ? "number" : "floating-point number")
              + " length ("
              + length
              + ") exceeds the maximum allowed ("
              + limits.getMaxNumberLength()
              + ")");
    }
    return integer;
  }

  final int digits() {
    int from = pos;
    while (pos < end && isDigit(b[pos])) {
      pos++;
    }
    return pos - from;
  }

  final void word(byte[] word) throws IOException {
    for (byte expected : word) {
      if (pos >= end || b[pos] != expected) {
        throw error(
            "unrecognized token, expected '" + new String(word, StandardCharsets.US_ASCII) + "'");
      }
      pos++;
    }
    if (pos < end && isIdentifierPart(b[pos] & 0xFF)) {
      throw error(
          "unrecognized token, expected '" + new String(word, StandardCharsets.US_ASCII) + "'");
    }
  }

  /** Skips JSON's four space characters: the byte at {@code pos} after them, or -1 at the end. */
  final int space() {
    int p = pos;
    if (p < end) {
      int c = b[p] & 0xFF;
      if (c > ' ') { // the usual case: no space at all
        return c;
      }
    }
    while (p < end) {
      byte c = b[p];
      if (!isSpace(c)) {
        pos = p;
        return c & 0xFF;
      }
      p++;
    }
    pos = p;
    return -1;
  }

  static boolean isSpace(byte c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
  }

  static boolean isDigit(byte c) {
    return c >= '0' && c <= '9';
  }

  static boolean isNumberStart(int c) {
    return c == '-' || c >= '0' && c <= '9';
  }

  /** What Jackson takes as glued to true/false/null: a letter, digit, '_' or '$', or any non-ASCII byte. */
  static boolean isIdentifierPart(int c) {
    return c >= 0x80 || c != ']' && c != '}' && c >= '0' && Character.isJavaIdentifierPart(c);
  }

  final JsonParseException unexpected(int c, String expected) {
    return error(
        (c < 0 ? "unexpected end of input" : "unexpected " + describe(c))
            + ", expected "
            + expected);
  }

  final JsonParseException error(String message) {
    return new JsonParseException(null, message + ", at byte " + (pos - start));
  }

  static String describe(int c) {
    return c >= 0x20 && c < 0x7F ? "character '" + (char) c + "'" : String.format("byte 0x%02X", c);
  }
}
