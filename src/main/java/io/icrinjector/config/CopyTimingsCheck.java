package io.icrinjector.config;

import io.quarkus.runtime.Startup;
import jakarta.inject.Singleton;

/**
 * Stops start-up, with a message naming the property, when the secret-copy timings break a rule of
 * {@link CopyTimings}; made at start-up like the rules ({@link RulesProducer}), so the message reaches the log.
 */
@Startup
@Singleton
public class CopyTimingsCheck {

  /** Validates {@code config}'s secret-copy timings. */
  CopyTimingsCheck(IcrConfig config) {
    CopyTimings.require(config.secretCopy());
  }
}
