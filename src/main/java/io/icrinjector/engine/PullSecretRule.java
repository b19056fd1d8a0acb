package io.icrinjector.engine;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One pull-secret rule, written {@code host[/repository-prefix]=secret}: an image whose host matches (a
 * {@code *} stands for exactly one DNS label) and whose repository path starts with the prefix (whole path
 * segments only) needs that secret.
 *
 * @param hostPattern the host pattern in lower case, e.g. {@code *.icr.io}
 * @param repositoryPrefix the repository prefix without slashes at either end, empty for any repository
 * @param secret the name of the secret to attach and copy
 */
public record PullSecretRule(String hostPattern, String repositoryPrefix, String secret) {

  private static final Pattern LABEL_OR_STAR = Pattern.compile("\\*|[a-z0-9]([a-z0-9-]*[a-z0-9])?");
  private static final Pattern SECRET_NAME =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  /**
   * Parses {@code host[/repository-prefix]=secret}.
   *
   * @throws IllegalArgumentException naming the problem
   */
  public static PullSecretRule parse(String text) {
    String entry = text.trim();
    int eq = entry.lastIndexOf('=');
    if (eq <= 0 || eq == entry.length() - 1) {
      throw new IllegalArgumentException(
          "pull-secret rule \"" + text + "\" must look like host[/repository-prefix]=secret-name");
    }
    String target = entry.substring(0, eq).trim();
    String secret = entry.substring(eq + 1).trim();
    if (secret.length() > 253 || !SECRET_NAME.matcher(secret).matches()) {
      throw new IllegalArgumentException(
          "pull-secret rule \"" + text + "\": \"" + secret + "\" is not a valid Secret name");
    }
    int slash = target.indexOf('/');
    String host = (slash < 0 ? target : target.substring(0, slash)).toLowerCase(Locale.ROOT);
    String prefix = slash < 0 ? "" : trimSlashes(target.substring(slash + 1));
    for (String label : host.split("\\.", -1)) {
      if (!LABEL_OR_STAR.matcher(label).matches()) {
        throw new IllegalArgumentException(
            "pull-secret rule \""
                + text
                + "\": \""
                + host
                + "\" is not a host name (labels of a-z, 0-9 and '-', or '*' for one label)");
      }
    }
    return new PullSecretRule(host, prefix, secret);
  }

  /** Whether an image on {@code host} (lower case) with repository {@code path} needs this rule's secret. */
  public boolean matches(String host, String path) {
    return hostMatches(host)
        && (repositoryPrefix.isEmpty()
            || path.equals(repositoryPrefix)
            || path.startsWith(repositoryPrefix) && path.charAt(repositoryPrefix.length()) == '/');
  }

  /** Label by label; {@code *} takes exactly one non-empty label, so {@code *.icr.io} is not {@code icr.io}. */
  private boolean hostMatches(String host) {
    int p = 0;
    int h = 0;
    while (true) {
      int pEnd = nextDot(hostPattern, p);
      int hEnd = nextDot(host, h);
      boolean star = pEnd - p == 1 && hostPattern.charAt(p) == '*';
      boolean same =
          star ? hEnd > h : pEnd - p == hEnd - h && hostPattern.regionMatches(p, host, h, pEnd - p);
      if (!same) {
        return false;
      }
      boolean patternDone = pEnd == hostPattern.length();
      boolean hostDone = hEnd == host.length();
      if (patternDone || hostDone) {
        return patternDone && hostDone;
      }
      p = pEnd + 1;
      h = hEnd + 1;
    }
  }

  private static int nextDot(String s, int from) {
    int dot = s.indexOf('.', from);
    return dot < 0 ? s.length() : dot;
  }

  private static String trimSlashes(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && s.charAt(start) == '/') {
      start++;
    }
    while (end > start && s.charAt(end - 1) == '/') {
      end--;
    }
    return s.substring(start, end);
  }

  @Override
  public String toString() {
    return hostPattern + (repositoryPrefix.isEmpty() ? "" : "/" + repositoryPrefix) + "=" + secret;
  }
}
