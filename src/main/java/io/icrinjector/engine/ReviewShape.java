package io.icrinjector.engine;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * What {@link ReviewReader} keeps of a value: a scalar as it is, or, for an object or list, only some members.
 * Member names are held as bytes too, so that a name in the body is compared without decoding it.
 */
final class ReviewShape {

  static final ReviewShape SCALAR = new ReviewShape(null, null);

  private final String[] names;
  private final byte[][] bytes;
  private final ReviewShape[] members;
  private final ReviewShape element;

  private ReviewShape(Map<String, ReviewShape> members, ReviewShape element) {
    this.element = element;
    if (members == null) {
      this.names = null;
      this.bytes = null;
      this.members = null;
      return;
    }
    this.names = members.keySet().toArray(String[]::new);
    this.bytes = new byte[names.length][];
    this.members = new ReviewShape[names.length];
    for (int i = 0; i < names.length; i++) {
      bytes[i] = names[i].getBytes(StandardCharsets.UTF_8);
      this.members[i] = members.get(names[i]);
    }
  }

  static ReviewShape object(Map<String, ReviewShape> members) {
    return new ReviewShape(members, null);
  }

  static ReviewShape listOf(ReviewShape element) {
    return new ReviewShape(null, element);
  }

  boolean isObject() {
    return names != null;
  }

  ReviewShape element() {
    return element;
  }

  String name(int member) {
    return names[member];
  }

  ReviewShape member(int member) {
    return members[member];
  }

  /** The member named by {@code length} bytes of {@code body} from {@code from}, or -1. */
  int indexOf(byte[] body, int from, int length) {
    for (int i = 0; i < bytes.length; i++) {
      byte[] name = bytes[i];
      if (name.length == length && body[from] == name[0]) {
        int j = 1;
        while (j < length && body[from + j] == name[j]) {
          j++;
        }
        if (j == length) {
          return i;
        }
      }
    }
    return -1;
  }

  /** The member of that name, or -1. */
  int indexOf(String name) {
    for (int i = 0; i < names.length; i++) {
      if (names[i].equals(name)) {
        return i;
      }
    }
    return -1;
  }
}
