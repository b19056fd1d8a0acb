package io.icrinjector.secrets;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The one test of the warnings' length: the handler cuts each warning at 120 characters after its 14-character
 * prefix ({@code icr-injector: }), so each must hold its fix in 106, for secret and source namespace names up to 16
 * characters ({@code all-icr-io} and {@code default} are 10 and 7). None takes the pod's namespace.
 */
class CopyWarningsTest {

  static final int ROOM = 120 - "icr-injector: ".length();

  @Test
  void everyWarningKeepsItsFixWithinTheRoomTheHandlerLeaves() {
    String name = "n".repeat(16);
    String source = "s".repeat(16) + "/" + name;
    List<String> all =
        List.of(
            CopyWarnings.sourceMissing(source),
            CopyWarnings.stillRunning(name, Duration.ofMillis(1500)),
            CopyWarnings.forbidden("create", name, null),
            CopyWarnings.forbidden("get", name, "s".repeat(16)),
            CopyWarnings.failed(name, 503),
            CopyWarnings.unreachable(name),
            CopyWarnings.racedWithDeletion(name),
            CopyWarnings.couldNotStart(name),
            CopyWarnings.terminating(name),
            CopyWarnings.namespaceNotFound(name),
            CopyWarnings.foreignDiffers(name, "s".repeat(16)),
            CopyWarnings.notOptedIn(name),
            CopyWarnings.optInUnknown(name),
            CopyWarnings.notQueued(name, 500));
    assertThat(all).allSatisfy(w -> assertThat(w.length()).as(w).isLessThanOrEqualTo(ROOM));
  }
}
