package io.icrinjector.engine;

import io.icrinjector.config.IcrConfig;
import io.smallrye.config.WithDefault;
import java.util.Arrays;
import java.util.List;

/**
 * The rules the application starts with: the {@code @WithDefault} values of {@code icr.rewrites} and
 * {@code icr.pull-secret-rules}, read from {@link IcrConfig} itself, so that tests and the benchmark use the one table
 * the application ships rather than copies of it.
 */
public final class DefaultRules {

  private DefaultRules() {}

  /** The default rewrite and pull-secret rules. */
  public static RewriteRules of() {
    return RewriteRules.of(defaultOf("rewrites"), defaultOf("pullSecretRules"));
  }

  private static List<String> defaultOf(String method) {
    try {
      return Arrays.asList(
          IcrConfig.class.getMethod(method).getAnnotation(WithDefault.class).value().split(","));
    } catch (NoSuchMethodException e) {
      throw new AssertionError(e);
    }
  }
}
