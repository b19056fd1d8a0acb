package io.icrinjector.door;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/**
 * The application with a small bound on the review bytes in flight (two held 9,000-byte bodies fill it) and the
 * door's DEBUG lines on, so tests can see what the door decided about a client that went away.
 */
public class HostileProfile implements QuarkusTestProfile {

  /** The bound of this profile, in bytes. */
  public static final int BOUND = 18_000;

  @Override
  public Map<String, String> getConfigOverrides() {
    return Map.of(
        "icr.max-bytes-in-flight",
        String.valueOf(BOUND),
        "quarkus.log.category.\"io.icrinjector.door\".level",
        "DEBUG");
  }
}
