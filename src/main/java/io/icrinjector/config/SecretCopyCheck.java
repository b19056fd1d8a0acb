package io.icrinjector.config;

import io.quarkus.runtime.Startup;
import jakarta.inject.Singleton;

/**
 * Stops start-up, with a message naming the property, when the secret-copy settings break a rule of
 * {@link CopyTimings} (the timings) or {@link WriteLimits} (the write rate limit); made at start-up like the rules
 * ({@link RulesProducer}), so the message reaches the log.
 */
@Startup
@Singleton
public class SecretCopyCheck {

  /** Validates {@code config}'s secret-copy timings and write limits. */
  SecretCopyCheck(IcrConfig config) {
    CopyTimings.require(config.secretCopy());
    WriteLimits.require(config.secretCopy());
  }
}
