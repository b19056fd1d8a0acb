package io.icrinjector.secrets;

import static org.assertj.core.api.Assertions.assertThat;

import io.icrinjector.secrets.SecretCopyEvent.Outcome;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Which outcomes become Kubernetes Events, and what the observer remembers between them. */
class CopyObserversTest {

  private final List<String> recorded = new CopyOnWriteArrayList<>();
  private final CopyObservers observers =
      new CopyObservers(
          new SimpleMeterRegistry(),
          new CopyObservers.Recorder() {
            @Override
            public void record(String ns, String reason, String type, String message) {
              recorded.add(ns + " " + reason);
            }

            @Override
            public void recordOnSecret(
                String ns, String secret, String reason, String type, String message) {
              recorded.add(ns + "/" + secret + " " + reason + " " + type + ": " + message);
            }
          });

  private void fire(String ns, Outcome outcome, String detail) {
    SecretCopyEvent e = new SecretCopyEvent(ns, "all-icr-io", outcome, detail);
    observers.count(e);
    observers.report(e);
  }

  @Test
  void aRetryThatFailsTheSameWayAddsNoEvent() {
    fire("team-a", Outcome.FAILED, "forbidden");
    fire("team-a", Outcome.FAILED, "forbidden");
    fire("team-a", Outcome.FAILED, "HTTP 500");
    assertThat(recorded)
        .containsExactly("team-a PullSecretCopyFailed", "team-a PullSecretCopyFailed");
  }

  @Test
  void aFailureResolvedByAnotherReplicaIsForgottenSoTheNextOneIsReported() {
    fire("team-a", Outcome.FAILED, "forbidden");
    fire("team-a", Outcome.EXISTS, "already present"); // another replica made the copy
    fire("team-a", Outcome.FAILED, "forbidden"); // later, the same failure again
    assertThat(recorded)
        .containsExactly("team-a PullSecretCopyFailed", "team-a PullSecretCopyFailed");
  }

  @Test
  void theFailureOfANamespaceThatIsGoneIsForgotten() {
    for (int i = 0; i < 50; i++) {
      fire("gone-" + i, Outcome.FAILED, "HTTP 500");
      fire("gone-" + i, Outcome.ABANDONED, "namespace gone-" + i + " not found");
    }
    assertThat(observers.remembered()).isZero();
  }

  @Test
  void aRotationIsOneEventOnTheSourceAndItsCopiesHaveNone() {
    for (int i = 0; i < 200; i++) {
      fire("team-" + i, Outcome.UPDATED, "source version 21");
    }
    fire("default", Outcome.ROTATED, "updated 200, failed 0, skipped 0 (source version 21)");
    assertThat(recorded)
        .containsExactly(
            "default/all-icr-io PullSecretRotated Normal: brought the copies of secret "
                + "all-icr-io in line with it: updated 200, failed 0, skipped 0 (source version 21)");
  }

  @Test
  void aCopyThatCannotFollowItsSourceStillHasItsOwnWarning() {
    fire("team-a", Outcome.FAILED, "update forbidden by RBAC");
    fire("default", Outcome.ROTATED, "updated 0, failed 1, skipped 0 (source version 21)");
    assertThat(recorded).hasSize(2).first().isEqualTo("team-a PullSecretCopyFailed");
  }
}
