package io.icrinjector.config;

import io.icrinjector.engine.PullSecretRule;
import io.icrinjector.engine.RewriteRules;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The webhooks' {@code matchConditions}, generated from the parsed rules: the API server calls the webhook only for
 * a pod with an image whose name contains one of the <em>needles</em>, so pods that name no IBM image (and no host
 * of a pull-secret rule) never leave the API server. {@code deploy/base/webhook.yaml} holds this expression for the
 * default configuration (a manifest test checks it), the Helm chart renders it from its values, and
 * {@link MatchConditionsCheck} compares the live configuration with it at start-up.
 *
 * <p>The needles are {@code bluemix.net} (the engine warns about unknown {@code registry.<x>.bluemix.net} hosts),
 * every rewritten host, and the fixed part of every pull-secret rule's host (what follows its last {@code *.}).
 * A substring match is a superset of the engine's exact host match on purpose: a lookalike still reaches the
 * webhook, which leaves it alone; a pod the webhook would change is never skipped.
 */
public final class MatchConditions {

  /** The name of the one match condition on each webhook. */
  public static final String NAME = "names-an-image-icr-injector-handles";

  /** Always a needle: unknown {@code registry.<x>.bluemix.net} hosts get a warning. */
  static final String BLUEMIX = "bluemix.net";

  private static final String BEFORE =
      "[object.spec.containers, object.spec.?initContainers.orValue([]), "
          + "object.spec.?ephemeralContainers.orValue([])].exists(cs, cs.exists(c, has(c.image) && ";
  private static final String AFTER = ".exists(h, c.image.lowerAscii().contains(h))))";

  /** The needle list of an expression of this shape: {@code ["a", "b"].exists(h, c.image...}. */
  private static final Pattern LIST =
      Pattern.compile("\\[([^\\[\\]]*)\\]\\s*\\.exists\\(\\s*h\\s*,\\s*c\\.image");

  private static final Pattern QUOTED = Pattern.compile("\"([^\"\\\\]*)\"|'([^'\\\\]*)'");

  private MatchConditions() {}

  /** The needles for {@code rules}: sorted, unique, lower case, without ports. */
  public static List<String> needles(RewriteRules rules) {
    TreeSet<String> needles = new TreeSet<>();
    needles.add(BLUEMIX);
    rules.rewrites().keySet().forEach(host -> needles.add(bareHost(host)));
    for (PullSecretRule rule : rules.pullSecretRules()) {
      String host = bareHost(rule.hostPattern());
      int star = host.lastIndexOf("*.");
      needles.add(star < 0 ? host : host.substring(star + 2));
    }
    return List.copyOf(needles);
  }

  /** The CEL expression of the match condition for {@code rules}. */
  public static String expression(RewriteRules rules) {
    return BEFORE
        + needles(rules).stream()
            .map(n -> "\"" + n + "\"")
            .collect(Collectors.joining(", ", "[", "]"))
        + AFTER;
  }

  /**
   * The needles an expression of the generated shape lists (quoted strings of the list before
   * {@code .exists(h, c.image}), or {@code null} when it has another shape and cannot be compared.
   */
  public static List<String> needlesOf(String expression) {
    Matcher list = LIST.matcher(expression);
    if (!list.find()) {
      return null;
    }
    List<String> needles = new ArrayList<>();
    Matcher quoted = QUOTED.matcher(list.group(1));
    while (quoted.find()) {
      needles.add(quoted.group(1) != null ? quoted.group(1) : quoted.group(2));
    }
    return needles;
  }

  /** The needles of {@code rules} that {@code expression} does not list: hosts whose pods it would skip. */
  public static List<String> missing(RewriteRules rules, String expression) {
    List<String> listed = needlesOf(expression);
    if (listed == null) {
      return List.of();
    }
    return needles(rules).stream()
        .filter(n -> listed.stream().noneMatch(l -> n.contains(l.toLowerCase(Locale.ROOT))))
        .toList();
  }

  private static String bareHost(String host) {
    String lower = host.toLowerCase(Locale.ROOT);
    int colon = lower.indexOf(':');
    return colon < 0 ? lower : lower.substring(0, colon);
  }
}
