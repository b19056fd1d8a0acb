package io.icrinjector.engine;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The validated rule set the engine works from: which hosts move where, and which final images need which
 * pull secret. Built once from configuration; immutable and safe to share between threads.
 */
public final class RewriteRules {

  /** {@code registry.bluemix.net} and {@code registry.<region>.bluemix.net}, the hosts IBM deprecated. */
  private static final Pattern DEPRECATED_HOST =
      Pattern.compile("registry(\\.[a-z0-9-]+)?\\.bluemix\\.net");

  private static final Pattern HOST =
      Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*");

  private final Map<String, String> rewrites;
  private final List<PullSecretRule> pullSecretRules;

  private RewriteRules(Map<String, String> rewrites, List<PullSecretRule> pullSecretRules) {
    this.rewrites = Map.copyOf(rewrites);
    this.pullSecretRules = List.copyOf(pullSecretRules);
  }

  /**
   * Builds and validates the rules.
   *
   * @param rewriteEntries entries {@code old-host=new-host}
   * @param pullSecretEntries entries {@code host[/repository-prefix]=secret}
   * @throws IllegalArgumentException naming the first bad entry
   */
  public static RewriteRules of(List<String> rewriteEntries, List<String> pullSecretEntries) {
    Map<String, String> rewrites = new LinkedHashMap<>();
    for (String entry : rewriteEntries) {
      if (entry.isBlank()) {
        continue;
      }
      int eq = entry.indexOf('=');
      String from = eq < 0 ? "" : entry.substring(0, eq).trim().toLowerCase(Locale.ROOT);
      String to = eq < 0 ? "" : entry.substring(eq + 1).trim().toLowerCase(Locale.ROOT);
      if (!HOST.matcher(from).matches() || !HOST.matcher(to).matches()) {
        throw new IllegalArgumentException(
            "rewrite \""
                + entry
                + "\" must look like old-host=new-host (host names, no port or path)");
      }
      if (from.equals("docker.io")) {
        // docker.io is also the host of every reference that names none (nginx, library/nginx):
        // rewriting it would
        // need the "library/" expansion, and moving Docker Hub is not what this webhook is for.
        throw new IllegalArgumentException(
            "rewrite \"" + entry + "\": docker.io cannot be rewritten");
      }
      if (from.equals(to)) {
        throw new IllegalArgumentException("rewrite \"" + entry + "\" maps a host to itself");
      }
      String previous = rewrites.put(from, to);
      if (previous != null && !previous.equals(to)) {
        throw new IllegalArgumentException(
            "host " + from + " is rewritten twice: to " + previous + " and to " + to);
      }
    }
    for (Map.Entry<String, String> e : rewrites.entrySet()) {
      if (rewrites.containsKey(e.getValue())) {
        // A chain would make the second pass change what the first pass wrote: the patch would not
        // be final.
        throw new IllegalArgumentException(
            "rewrite "
                + e.getKey()
                + "="
                + e.getValue()
                + " targets a host that is itself rewritten; chains are not allowed");
      }
    }
    List<PullSecretRule> rules = new ArrayList<>();
    for (String entry : pullSecretEntries) {
      if (!entry.isBlank()) {
        rules.add(PullSecretRule.parse(entry));
      }
    }
    return new RewriteRules(rewrites, rules);
  }

  /** The replacement host for {@code host} (lower case), or {@code null} when it is not rewritten. */
  public String replacementFor(String host) {
    return rewrites.get(host);
  }

  /** Whether {@code host} (lower case) looks like a deprecated IBM registry host. */
  public static boolean isDeprecatedIbmHost(String host) {
    return host.endsWith(".bluemix.net") && DEPRECATED_HOST.matcher(host).matches();
  }

  /** The pull-secret rules in configuration order. */
  public List<PullSecretRule> pullSecretRules() {
    return pullSecretRules;
  }

  /** Every secret name any rule can attach, in rule order, without repeats. */
  public List<String> secretNames() {
    return pullSecretRules.stream().map(PullSecretRule::secret).distinct().toList();
  }

  /** The rewrite table, deprecated host to replacement. */
  public Map<String, String> rewrites() {
    return rewrites;
  }
}
