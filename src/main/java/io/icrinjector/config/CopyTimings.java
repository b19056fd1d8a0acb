package io.icrinjector.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The rules the secret-copy timings must keep, checked once at start-up (a violation stops it with a message naming
 * the property) and by the manifest tests against {@code deploy/}. Written by hand: SmallRye Config validates one
 * value at a time, and these rules relate values to each other and to the webhook's timeout.
 */
public final class CopyTimings {

  /** The API server's bounds for a webhook's {@code timeoutSeconds}. */
  static final Duration MIN_WEBHOOK_TIMEOUT = Duration.ofSeconds(1);

  static final Duration MAX_WEBHOOK_TIMEOUT = Duration.ofSeconds(30);

  private CopyTimings() {}

  /** Every rule {@code copy} breaks, each naming its property; empty when the timings are sound. */
  public static List<String> problems(IcrConfig.SecretCopy copy) {
    return problems(copy.budget(), copy.initialBackoff(), copy.maxBackoff(), copy.webhookTimeout());
  }

  /** Every rule the timings break, each naming its property; empty when they are sound. */
  public static List<String> problems(
      Duration budget, Duration initialBackoff, Duration maxBackoff, Duration webhookTimeout) {
    List<String> problems = new ArrayList<>();
    if (initialBackoff.isNegative() || initialBackoff.isZero()) {
      problems.add(
          "icr.secret-copy.initial-backoff="
              + initialBackoff
              + " must be positive: a failing copy would be "
              + "retried in a loop with no pause");
    }
    if (maxBackoff.compareTo(initialBackoff) < 0) {
      problems.add(
          "icr.secret-copy.max-backoff="
              + maxBackoff
              + " must not be shorter than "
              + "icr.secret-copy.initial-backoff="
              + initialBackoff);
    }
    if (webhookTimeout.compareTo(MIN_WEBHOOK_TIMEOUT) < 0
        || webhookTimeout.compareTo(MAX_WEBHOOK_TIMEOUT) > 0) {
      problems.add(
          "icr.secret-copy.webhook-timeout="
              + webhookTimeout
              + " must be between 1s and 30s, the bounds of "
              + "a webhook's timeoutSeconds");
    }
    if (budget.isNegative()) {
      problems.add("icr.secret-copy.budget=" + budget + " must not be negative");
    } else if (budget.compareTo(webhookTimeout) >= 0) {
      problems.add(
          "icr.secret-copy.budget="
              + budget
              + " must be shorter than the webhook's timeoutSeconds "
              + "(icr.secret-copy.webhook-timeout="
              + webhookTimeout
              + "): the API server would give up first and, with "
              + "failurePolicy Ignore, admit the first pod of each new namespace unpatched");
    }
    return problems;
  }

  /** Throws, naming every broken rule, unless the timings of {@code copy} are sound. */
  public static void require(IcrConfig.SecretCopy copy) {
    List<String> problems = problems(copy);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          "invalid secret-copy timings: " + String.join("; ", problems));
    }
  }
}
