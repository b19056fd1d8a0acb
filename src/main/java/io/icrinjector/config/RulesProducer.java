package io.icrinjector.config;

import io.icrinjector.engine.RewriteRules;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** Validates the rule settings once; a bad entry stops start-up with a message naming it. */
public class RulesProducer {

  @Produces
  @Singleton
  @Startup
  RewriteRules rules(IcrConfig config) {
    return RewriteRules.of(config.rewrites(), config.pullSecretRules());
  }
}
