package io.icrinjector.config;

import io.quarkus.runtime.Startup;
import jakarta.inject.Singleton;

/**
 * Stops start-up, with a message naming the property, when the write rate limit breaks a rule of
 * {@link WriteLimits}; made at start-up like {@link CopyTimingsCheck}, so the message reaches the log.
 */
@Startup
@Singleton
public class WriteLimitsCheck {

  /** Validates {@code config}'s write limits. */
  WriteLimitsCheck(IcrConfig config) {
    WriteLimits.require(config.secretCopy());
  }
}
