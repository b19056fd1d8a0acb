package io.icrinjector.engine;

import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.util.Arrays;

/**
 * What {@link ReviewScanner} does with a value it does not keep: steps over it, checking it is JSON as Jackson
 * would (grammar, strings, numbers, nesting depth), without recursion and without making anything of it.
 */
abstract class JsonSkipper extends JsonStrings {

  /** Per nesting level being skipped: an object (true) or a list. */
  private boolean[] inObject;

  JsonSkipper(StreamReadConstraints limits, byte[] body, int offset, int length) {
    super(limits, body, offset, length);
  }

  /**
   * Steps over the value at {@code pos} (after spaces), inside {@code depth} open levels, checking it is JSON.
   * Iterative: one flag per open level says whether a member name or an entry comes next. Written as one loop
   * over a local position, with the common tokens (names, ASCII strings, punctuation) handled inline and the
   * rare ones (escapes, UTF-8, spaces, numbers, words) in calls: the shipped JIT (C1) inlines little, and a call
   * per token was most of the cost.
   */
  final void skip(int depth) throws IOException {
    final byte[] b = this.b;
    final int end = this.end;
    final int base = depth;
    int p = pos;
    if (p < end && b[p] <= ' ') {
      p = spaces(p);
    }
    int c = p < end ? b[p] & 0xFF : -1;
    while (true) {
      switch (c) {
        case '{', '[' -> {
          boolean object = c == '{';
          pos = p;
          open(++depth, object);
          p = pos;
          if (p < end && b[p] <= ' ') {
            p = spaces(p);
          }
          c = p < end ? b[p] & 0xFF : -1;
          if (c == (object ? '}' : ']')) {
            p++;
            depth--;
          } else if (object) {
            p = name(p, c);
            c = p < end ? b[p] & 0xFF : -1;
            continue;
          } else {
            continue;
          }
        }
        case '"' -> {
          p++;
          while (p < end && !SPECIAL[b[p] & 0xFF]) {
            p++;
          }
          if (p < end && b[p] == '"') {
            p++;
          } else {
            pos = p;
            skipString();
            p = pos;
          }
        }
        default -> {
          pos = p;
          switch (c) {
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
          p = pos;
        }
      }
      // after a value: close levels until one goes on with a ',' or the value skipped is done
      while (depth > base) {
        if (p < end && b[p] <= ' ') {
          p = spaces(p);
        }
        c = p < end ? b[p] & 0xFF : -1;
        boolean object = inObject[depth];
        if (c == ',') {
          p++;
          if (p < end && b[p] <= ' ') {
            p = spaces(p);
          }
          if (object) {
            p = name(p, p < end ? b[p] & 0xFF : -1);
          }
          break;
        }
        if (c != (object ? '}' : ']')) {
          pos = p;
          throw unexpected(c, object ? "',' or '}'" : "',' or ']'");
        }
        p++;
        depth--;
      }
      if (depth == base) {
        pos = p;
        return;
      }
      c = p < end ? b[p] & 0xFF : -1;
    }
  }

  /** After spaces from {@code p}: the position of the next byte that is not one. */
  final int spaces(int p) {
    while (p < end && isSpace(b[p])) {
      p++;
    }
    return p;
  }

  /**
   * Steps over a member name at {@code p}, its first byte {@code c}, and the colon and spaces after it: the
   * position of the value.
   */
  final int name(int p, int c) throws IOException {
    if (c != '"') {
      pos = p;
      throw unexpected(c, "a member name in double quotes");
    }
    final byte[] b = this.b;
    final int from = ++p;
    while (p < end && !SPECIAL[b[p] & 0xFF]) {
      p++;
    }
    if (p < end && b[p] == '"') {
      p++;
      if (p - 1 - from > maxNameLength) {
        checkNameLength(p - 1 - from);
      }
    } else {
      pos = from;
      string(true);
      checkNameLength(stringBytes);
      p = pos;
    }
    if (p < end && b[p] == ':') {
      p++;
    } else {
      pos = p;
      colon();
      p = pos;
    }
    return p < end && b[p] <= ' ' ? spaces(p) : p;
  }

  final void open(int depth, boolean object) throws IOException {
    enter(depth);
    if (inObject == null
        || inObject.length <= depth) { // grows with what the body nests, bounded by enter
      inObject =
          Arrays.copyOf(inObject == null ? new boolean[0] : inObject, Math.max(32, depth * 2));
    }
    inObject[depth] = object;
  }

  final void enter(int depth) throws IOException {
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
}
