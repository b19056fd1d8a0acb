package io.icrinjector.engine;

import java.util.Locale;
import java.util.regex.Pattern;

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
public record ImageReference(String raw, String host, String port, String path, String tag, String digest) {

  private static final String DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
  private static final Pattern HOST = Pattern.compile(
      DOMAIN_COMPONENT + "(?:\\." + DOMAIN_COMPONENT + ")*|\\[[0-9A-Fa-f:.]+\\]");
  private static final Pattern PORT = Pattern.compile("[0-9]+");
  private static final Pattern PATH_COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
  private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
  private static final Pattern DIGEST = Pattern.compile("[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}");
  private static final int MAX_NAME_LENGTH = 255;

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
      if (!DIGEST.matcher(digest).matches()) {
        throw new IllegalArgumentException("invalid digest \"" + digest + "\"");
      }
    }
    String host = null;
    String port = null;
    int slash = rest.indexOf('/');
    if (slash >= 0) {
      String first = rest.substring(0, slash);
      if (first.indexOf('.') >= 0 || first.indexOf(':') >= 0 || first.equals("localhost")
          || !first.equals(first.toLowerCase(Locale.ROOT))) {
        int colon = first.startsWith("[") ? first.indexOf(':', first.indexOf(']')) : first.lastIndexOf(':');
        if (colon >= 0) {
          host = first.substring(0, colon);
          port = first.substring(colon + 1);
          if (!PORT.matcher(port).matches()) {
            throw new IllegalArgumentException("invalid port \"" + port + "\" in \"" + first + "\"");
          }
        } else {
          host = first;
        }
        if (!HOST.matcher(host).matches()) {
          throw new IllegalArgumentException("invalid registry host \"" + host + "\"");
        }
        rest = rest.substring(slash + 1);
      }
    }
    // A colon after the last slash starts the tag; one before it belongs to a host that was not recognised.
    String tag = null;
    int colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      tag = rest.substring(colon + 1);
      rest = rest.substring(0, colon);
      if (!TAG.matcher(tag).matches()) {
        throw new IllegalArgumentException("invalid tag \"" + tag + "\"");
      }
    }
    if (rest.isEmpty()) {
      throw new IllegalArgumentException("missing repository name");
    }
    for (String component : rest.split("/", -1)) {
      if (!PATH_COMPONENT.matcher(component).matches()) {
        throw new IllegalArgumentException("invalid repository path component \"" + component + "\"");
      }
    }
    int nameLength = rest.length() + (host == null ? 0 : slash + 1);
    if (nameLength > MAX_NAME_LENGTH) {
      throw new IllegalArgumentException("repository name longer than " + MAX_NAME_LENGTH + " characters");
    }
    return new ImageReference(raw, host, port, rest, tag, digest);
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
