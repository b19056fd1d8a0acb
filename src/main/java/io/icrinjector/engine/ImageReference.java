package io.icrinjector.engine;

import java.util.Locale;

/**
 * A container image reference split the way the Docker reference grammar (distribution/reference) splits it:
 * {@code [host[:port]/]path[:tag][@digest]}, where the first path segment is a host only if it holds a
 * {@code .} or a {@code :} or is {@code localhost} (otherwise the host is the implicit {@code docker.io}).
 *
 * <p>The reference keeps the caller's original string: a rewrite swaps the host and copies everything after it
 * byte for byte, so path, tag, digest and tag@digest come through exactly as the user wrote them.
 *
 * @param raw the reference as written
 * @param host the host as written, {@code null} when implicit (Docker Hub)
 * @param port the port as written, {@code null} when absent
 * @param path the repository path
 * @param tag the tag, {@code null} when absent
 * @param digest the digest, {@code null} when absent
 */
public record ImageReference(
    String raw, String host, String port, String path, String tag, String digest) {

  /** distribution/reference's limit on the name (host and path), in characters. */
  private static final int MAX_NAME_LENGTH = 255;

  /** A tag is one word character then at most 127 of {@code [\w.-]}. */
  private static final int MAX_TAG_LENGTH = 128;

  /** The shortest digest hex distribution/reference accepts. */
  private static final int MIN_DIGEST_HEX = 32;

  /** How much of an offending part an error message quotes: the message ends up in warnings and log lines. */
  private static final int MAX_QUOTED = 64;

  /**
   * Parses a reference.
   *
   * @param raw the image string from a container spec
   * @return the parsed reference
   * @throws IllegalArgumentException naming what is wrong, when {@code raw} is not a valid reference
   */
  public static ImageReference parse(String raw) {
    if (raw == null || raw.isEmpty()) {
      throw new IllegalArgumentException("empty image reference");
    }
    String rest = raw;
    String digest = null;
    int at = rest.indexOf('@');
    if (at >= 0) {
      digest = rest.substring(at + 1);
      rest = rest.substring(0, at);
      if (!isDigest(digest)) {
        throw new IllegalArgumentException("invalid digest " + quote(digest));
      }
    }
    String host = null;
    String port = null;
    int slash = rest.indexOf('/');
    if (slash >= 0) {
      String first = rest.substring(0, slash);
      if (first.indexOf('.') >= 0
          || first.indexOf(':') >= 0
          || first.equals("localhost")
          || !first.equals(first.toLowerCase(Locale.ROOT))) {
        int colon =
            first.startsWith("[") ? first.indexOf(':', first.indexOf(']')) : first.lastIndexOf(':');
        if (colon >= 0) {
          host = first.substring(0, colon);
          port = first.substring(colon + 1);
          if (!isPort(port)) {
            throw new IllegalArgumentException(
                "invalid port " + quote(port) + " in " + quote(first));
          }
        } else {
          host = first;
        }
        if (!isHost(host)) {
          throw new IllegalArgumentException("invalid registry host " + quote(host));
        }
        rest = rest.substring(slash + 1);
      }
    }
    // A colon after the last slash starts the tag; one before it belongs to a host that was not
    // recognised.
    String tag = null;
    int colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      tag = rest.substring(colon + 1);
      rest = rest.substring(0, colon);
      if (!isTag(tag)) {
        throw new IllegalArgumentException("invalid tag " + quote(tag));
      }
    }
    if (rest.isEmpty()) {
      throw new IllegalArgumentException("missing repository name");
    }
    for (int from = 0; ; ) {
      int end = rest.indexOf('/', from);
      int to = end < 0 ? rest.length() : end;
      if (!isPathComponent(rest, from, to)) {
        throw new IllegalArgumentException(
            "invalid repository path component " + quote(rest.substring(from, to)));
      }
      if (end < 0) {
        break;
      }
      from = end + 1;
    }
    int nameLength = rest.length() + (host == null ? 0 : slash + 1);
    if (nameLength > MAX_NAME_LENGTH) {
      throw new IllegalArgumentException(
          "repository name longer than " + MAX_NAME_LENGTH + " characters");
    }
    return new ImageReference(raw, host, port, rest, tag, digest);
  }

  // The matchers below are the grammar of distribution/reference written as loops. The regular
  // expressions they
  // replace had a repeated group per separator, which java.util.regex matches by recursion: about
  // 1,500 parts
  // (3 KB of image string) overflowed an I/O thread's stack. These run in constant stack and linear
  // time.

  /** {@code [a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*} over {@code s[from, to)}. */
  private static boolean isPathComponent(String s, int from, int to) {
    int i = from;
    while (true) {
      int run = i;
      while (i < to && isLowerAlnum(s.charAt(i))) {
        i++;
      }
      if (i == run) {
        return false; // empty component, or a separator not followed by an alphanumeric
      }
      if (i == to) {
        return true;
      }
      char c = s.charAt(i);
      if (c == '.') {
        i++;
      } else if (c == '_') {
        i += i + 1 < to && s.charAt(i + 1) == '_' ? 2 : 1;
      } else if (c == '-') {
        while (i < to && s.charAt(i) == '-') {
          i++;
        }
      } else {
        return false;
      }
    }
  }

  /**
   * A domain name, {@code component(\.component)*} with {@code component} one or more of {@code [a-zA-Z0-9-]}
   * neither starting nor ending with {@code -}, or an IPv6 address in brackets, {@code \[[0-9A-Fa-f:.]+\]}.
   */
  private static boolean isHost(String h) {
    int n = h.length();
    if (n >= 3 && h.charAt(0) == '[' && h.charAt(n - 1) == ']') {
      for (int i = 1; i < n - 1; i++) {
        char c = h.charAt(i);
        if (!(isHex(c) || c == ':' || c == '.')) {
          return false;
        }
      }
      return true;
    }
    int start = 0;
    for (int i = 0; i <= n; i++) {
      if (i == n || h.charAt(i) == '.') {
        if (i == start || h.charAt(start) == '-' || h.charAt(i - 1) == '-') {
          return false;
        }
        start = i + 1;
      } else if (!(isAlnum(h.charAt(i)) || h.charAt(i) == '-')) {
        return false;
      }
    }
    return true;
  }

  /** {@code [0-9]+}. */
  private static boolean isPort(String p) {
    if (p.isEmpty()) {
      return false;
    }
    for (int i = 0; i < p.length(); i++) {
      if (p.charAt(i) < '0' || p.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  /** {@code [\w][\w.-]{0,127}}, where {@code \w} is {@code [a-zA-Z0-9_]}. */
  private static boolean isTag(String t) {
    if (t.isEmpty() || t.length() > MAX_TAG_LENGTH || !isWord(t.charAt(0))) {
      return false;
    }
    for (int i = 1; i < t.length(); i++) {
      char c = t.charAt(i);
      if (!(isWord(c) || c == '.' || c == '-')) {
        return false;
      }
    }
    return true;
  }

  /**
   * {@code algorithm:hex}: {@code algorithm} is components {@code [A-Za-z][A-Za-z0-9]*} joined by one of
   * {@code [-_+.]}, {@code hex} is at least 32 of {@code [0-9a-fA-F]}.
   */
  private static boolean isDigest(String d) {
    int colon = d.indexOf(':');
    if (colon <= 0 || d.length() - colon - 1 < MIN_DIGEST_HEX) {
      return false;
    }
    boolean componentStart = true;
    for (int i = 0; i < colon; i++) {
      char c = d.charAt(i);
      if (componentStart) {
        if (!isLetter(c)) {
          return false;
        }
        componentStart = false;
      } else if (c == '-' || c == '_' || c == '+' || c == '.') {
        componentStart = true;
      } else if (!isAlnum(c)) {
        return false;
      }
    }
    if (componentStart) {
      return false; // the algorithm ends with a separator
    }
    for (int i = colon + 1; i < d.length(); i++) {
      if (!isHex(d.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  private static boolean isLowerAlnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  }

  private static boolean isLetter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  private static boolean isAlnum(char c) {
    return isLetter(c) || (c >= '0' && c <= '9');
  }

  private static boolean isWord(char c) {
    return isAlnum(c) || c == '_';
  }

  private static boolean isHex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  /** The part in quotes, cut to {@link #MAX_QUOTED} characters: an image string can be megabytes long. */
  private static String quote(String part) {
    return part.length() <= MAX_QUOTED
        ? "\"" + part + "\""
        : "\"" + part.substring(0, MAX_QUOTED) + "...\" (" + part.length() + " characters)";
  }

  /** The host in lower case, {@code docker.io} when implicit; the port is not part of it. */
  public String registryHost() {
    return host == null ? "docker.io" : host.toLowerCase(Locale.ROOT);
  }

  /** Whether this reference names a host explicitly and with no port other than the HTTPS default. */
  public boolean hasDefaultHttpsPort() {
    return port == null || port.equals("443");
  }

  /**
   * The same reference on another host: the host (and a {@code :443} port) is replaced, and every character
   * after it is kept as written.
   */
  public String withHost(String newHost) {
    if (host == null) {
      throw new IllegalStateException("reference has no explicit host: " + raw);
    }
    int hostEnd = raw.indexOf('/');
    return newHost + raw.substring(hostEnd);
  }
}
