package io.icrinjector.handler;

/**
 * Makes client-supplied text safe for a one-line log entry: control characters (line breaks included), the
 * Unicode line and paragraph separators and the backslash are written as Java-style escapes, so one decision is
 * always one line and a name cannot forge another entry.
 *
 * <p>Written by hand: Jackson's {@code JsonStringEncoder} also escapes quotes, which the decision line's
 * warnings use as they are, and no other escaping library is on the class path.
 */
final class LogText {

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private LogText() {}

  /** {@code text} with every character that could break or forge a log line escaped; {@code text} itself if none. */
  static String escape(CharSequence text) {
    if (text == null) {
      return null;
    }
    int i = 0;
    while (i < text.length() && !needsEscape(text.charAt(i))) {
      i++;
    }
    if (i == text.length()) {
      return text.toString();
    }
    StringBuilder out = new StringBuilder(text.length() + 16).append(text, 0, i);
    for (; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!needsEscape(c)) {
        out.append(c);
        continue;
      }
      switch (c) {
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\\' -> out.append("\\\\");
        default ->
            out.append("\\u")
                .append(HEX[c >> 12 & 0xf])
                .append(HEX[c >> 8 & 0xf])
                .append(HEX[c >> 4 & 0xf])
                .append(HEX[c & 0xf]);
      }
    }
    return out.toString();
  }

  /**
   * Appends {@code text} to {@code out} escaped as {@link #escape} does; a String scanned directly, not through
   * CharSequence (an interface call per character under C1 cost more than the rest of the line).
   *
   * @return {@code out}
   */
  static StringBuilder append(StringBuilder out, String text) {
    if (text == null) {
      return out.append((String) null);
    }
    int n = text.length();
    int i = 0;
    while (i < n && !needsEscape(text.charAt(i))) {
      i++;
    }
    return i == n ? out.append(text) : out.append(escape(text));
  }

  private static boolean needsEscape(char c) {
    return c < 0x20 || c == '\\' || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029';
  }
}
