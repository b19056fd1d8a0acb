package io.icrinjector.handler;

/**
 * The Kubernetes rule for a namespace name: an RFC 1123 label, at most 63 characters of lower-case letters,
 * digits and {@code -}, starting and ending with a letter or digit.
 *
 * <p>Written by hand: fabric8's {@code KubernetesResourceUtil.isValidName} checks a DNS subdomain (dots
 * allowed), which is not what a namespace is, and the handler stays free of the Kubernetes client.
 */
final class NamespaceNames {

  static final int MAX_LENGTH = 63;
  private static final int MAX_QUOTED = 80;

  private NamespaceNames() {}

  /** Why {@code name} is not a namespace name (ending a sentence that starts with its field), or null if it is. */
  static String problem(String name) {
    if (name.length() > MAX_LENGTH) {
      return "is " + name.length() + " characters long; a namespace name has at most " + MAX_LENGTH;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      if (!alnum && !(c == '-' && i > 0 && i < name.length() - 1)) {
        return quoted(name)
            + " is not a namespace name: lower-case letters, digits and '-', starting and ending"
            + " with a letter or digit (RFC 1123 label)";
      }
    }
    return null;
  }

  private static String quoted(String name) {
    String shown = name.length() <= MAX_QUOTED ? name : name.substring(0, MAX_QUOTED) + "...";
    return "\"" + LogText.escape(shown) + "\"";
  }
}
