package io.icrinjector.engine;

import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Strings and member names for {@link ReviewScanner}, checked (and decoded when kept) as Jackson's UTF-8 parser
 * does: the JSON escapes, no raw control characters, UTF-8 sequences of a lead byte and its continuation bytes,
 * names bounded by {@link StreamReadConstraints#getMaxNameLength()}.
 */
abstract class JsonStrings extends JsonCursor {

  /** Bytes that end the fast run of a string: the quote, the backslash, control and non-ASCII bytes. */
  static final boolean[] SPECIAL = new boolean[256];

  static {
    for (int c = 0; c < 256; c++) {
      SPECIAL[c] = c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
    }
  }

  JsonStrings(StreamReadConstraints limits, byte[] body, int offset, int length) {
    super(limits, body, offset, length);
  }

  /**
   * The length in bytes of the last string {@link #string} read, as Jackson bounds a name: its raw bytes, an
   * escaped character by the length of its UTF-8 encoding (an escaped surrogate pair by four).
   */
  int stringBytes;

  /** The length of the UTF-8 encoding of an escaped character (a high surrogate stands for its pair). */
  static int utf8Length(char c) {
    return c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isHighSurrogate(c) ? 4 : 3;
  }

  final void checkNameLength(int length) throws IOException {
    if (length > limits.getMaxNameLength()) {
      throw error(
          "name length ("
              + length
              + ") exceeds the maximum allowed ("
              + limits.getMaxNameLength()
              + ")");
    }
  }

  /** Steps over the rest of a string after its opening quote, checking it. */
  final void skipString() throws IOException {
    final byte[] b = this.b;
    final int end = this.end;
    int p = pos;
    while (p < end) {
      int c = b[p++] & 0xFF;
      if (!SPECIAL[c]) {
        continue;
      }
      if (c == '"') {
        pos = p;
        return;
      }
      pos = p;
      if (c == '\\') {
        escape();
      } else if (c < 0x20) {
        pos--;
        throw error("control character " + describe(c) + " in a string: escape it");
      } else {
        utf8(c);
      }
      p = pos;
    }
    pos = p;
    throw unexpected(-1, "the end of a string");
  }

  /**
   * The rest of a string after its opening quote, decoded as Jackson decodes a value it reads or a member name:
   * unlike a string it steps over, no UTF-8 encoded surrogate, and in a name an escaped surrogate must be half
   * of a pair.
   */
  final String string(boolean name) throws IOException {
    int from = pos;
    while (pos < end && !SPECIAL[b[pos] & 0xFF]) {
      pos++;
    }
    if (pos < end && b[pos] == '"') {
      pos++;
      stringBytes = pos - 1 - from;
      return new String(b, from, pos - 1 - from, StandardCharsets.ISO_8859_1);
    }
    int escapes = 0; // what the escapes add to the raw bytes: UTF-8 length less escape length
    StringBuilder text = new StringBuilder(pos - from + 16);
    text.append(new String(b, from, pos - from, StandardCharsets.ISO_8859_1));
    while (pos < end) {
      int c = b[pos++] & 0xFF;
      if (!SPECIAL[c]) {
        text.append((char) c);
      } else if (c == '"') {
        stringBytes = pos - 1 - from + escapes;
        return text.toString();
      } else if (c == '\\') {
        int at = pos - 1;
        char escaped = escape();
        text.append(escaped);
        if (name && Character.isSurrogate(escaped)) {
          text.append(lowSurrogate(escaped));
        }
        escapes += utf8Length(escaped) - (pos - at);
      } else if (c < 0x20) {
        pos--;
        throw error("control character " + describe(c) + " in a string: escape it");
      } else if (c >= 0xF0) { // four bytes: a surrogate pair, computed as Jackson does
        int point = utf8(c) - 0x10000;
        text.append((char) (0xD800 | (point >> 10))).append((char) (0xDC00 | (point & 0x3FF)));
      } else {
        int point = utf8(c);
        if (Character.isSurrogate((char) point) && point <= 0xFFFF) {
          throw error(String.format("invalid UTF-8: surrogate character 0x%04X", point));
        }
        text.append((char) point);
      }
    }
    throw unexpected(-1, "the end of a string");
  }

  /** In a name, the escaped low surrogate that must follow the escaped high one {@code high}. */
  final char lowSurrogate(char high) throws IOException {
    if (Character.isLowSurrogate(high)) {
      throw error(String.format("unexpected low surrogate 0x%04X in a member name", (int) high));
    }
    if (pos >= end || b[pos] != '\\') {
      throw unexpected(pos < end ? b[pos] & 0xFF : -1, "an escaped low surrogate in a member name");
    }
    pos++;
    char low = escape();
    if (!Character.isLowSurrogate(low)) {
      throw error(
          String.format("expected a low surrogate in a member name, found 0x%04X", (int) low));
    }
    return low;
  }

  /** The character of the escape after a backslash. */
  final char escape() throws IOException {
    if (pos >= end) {
      throw unexpected(-1, "an escaped character");
    }
    int c = b[pos++] & 0xFF;
    switch (c) {
      case '"', '\\', '/':
        return (char) c;
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'u':
        int value = 0;
        for (int i = 0; i < 4; i++) {
          int digit = pos < end ? hex(b[pos]) : -1;
          if (digit < 0) {
            throw unexpected(pos < end ? b[pos] & 0xFF : -1, "a hex digit of a \\u escape");
          }
          value = value << 4 | digit;
          pos++;
        }
        return (char) value;
      default:
        pos--;
        throw error("unrecognized escape " + describe(c) + " in a string");
    }
  }

  /** A UTF-8 sequence from its lead byte {@code c}, checked as Jackson checks it: its code point. */
  final int utf8(int c) throws IOException {
    int more;
    if ((c & 0xE0) == 0xC0) {
      c &= 0x1F;
      more = 1;
    } else if ((c & 0xF0) == 0xE0) {
      c &= 0x0F;
      more = 2;
    } else if ((c & 0xF8) == 0xF0) {
      c &= 0x07;
      more = 3;
    } else {
      pos--;
      throw error(String.format("invalid UTF-8 start byte 0x%02X", c));
    }
    for (int i = 0; i < more; i++) {
      if (pos >= end) {
        throw unexpected(-1, "a UTF-8 continuation byte");
      }
      int d = b[pos] & 0xFF;
      if ((d & 0xC0) != 0x80) {
        throw error(String.format("invalid UTF-8 middle byte 0x%02X", d));
      }
      c = c << 6 | d & 0x3F;
      pos++;
    }
    return c;
  }

  static int hex(byte c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    int letter = c | 0x20;
    return letter >= 'a' && letter <= 'f' ? letter - 'a' + 10 : -1;
  }
}
