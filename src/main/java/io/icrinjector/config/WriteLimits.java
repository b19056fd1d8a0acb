package io.icrinjector.config;

import java.util.ArrayList;
import java.util.List;

/**
 * The rules the write rate limit ({@code icr.secret-copy.writes-per-second}, {@code icr.secret-copy.write-burst})
 * must keep, checked once at start-up ({@link SecretCopyCheck}): a violation stops it with a message naming the
 * property, rather than a webhook that never writes or writes without bound.
 */
public final class WriteLimits {

  /** More than this is no limit at all for an API server; a typo (2000 for 20) should not pass silently. */
  static final double MAX_WRITES_PER_SECOND = 1000;

  private WriteLimits() {}

  /** Every rule the limits of {@code copy} break, each naming its property; empty when they are sound. */
  public static List<String> problems(IcrConfig.SecretCopy copy) {
    return problems(copy.writesPerSecond(), copy.writeBurst(), copy.leaseName());
  }

  /** Every rule the limits break, each naming its property; empty when they are sound. */
  public static List<String> problems(double writesPerSecond, int writeBurst, String leaseName) {
    List<String> problems = new ArrayList<>();
    if (!(writesPerSecond > 0) || writesPerSecond > MAX_WRITES_PER_SECOND) {
      problems.add(
          "icr.secret-copy.writes-per-second="
              + writesPerSecond
              + " must be above 0 and at most "
              + (int) MAX_WRITES_PER_SECOND
              + " (writes per second to the API server, per replica)");
    }
    if (writeBurst < 1) {
      problems.add(
          "icr.secret-copy.write-burst="
              + writeBurst
              + " must be at least 1: no write could ever start");
    }
    if (leaseName == null || !leaseName.matches("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")) {
      problems.add(
          "icr.secret-copy.lease-name="
              + leaseName
              + " must be a DNS subdomain name (a Lease's name)");
    }
    return problems;
  }

  /** Throws, naming every broken rule, unless the limits of {@code copy} are sound. */
  public static void require(IcrConfig.SecretCopy copy) {
    List<String> problems = problems(copy);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          "invalid secret-copy write limits: " + String.join("; ", problems));
    }
  }
}
