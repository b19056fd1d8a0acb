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
      new CopyObservers(new SimpleMeterRegistry(), (ns, reason, type, message) -> recorded.add(ns + " " + reason));

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
    assertThat(recorded).containsExactly("team-a PullSecretCopyFailed", "team-a PullSecretCopyFailed");
  }

  @Test
  void aFailureResolvedByAnotherReplicaIsForgottenSoTheNextOneIsReported() {
    fire("team-a", Outcome.FAILED, "forbidden");
    fire("team-a", Outcome.EXISTS, "already present"); // another replica made the copy
    fire("team-a", Outcome.FAILED, "forbidden");       // later, the same failure again
    assertThat(recorded).containsExactly("team-a PullSecretCopyFailed", "team-a PullSecretCopyFailed");
  }

  @Test
  void theFailureOfANamespaceThatIsGoneIsForgotten() {
    for (int i = 0; i < 50; i++) {
      fire("gone-" + i, Outcome.FAILED, "HTTP 500");
      fire("gone-" + i, Outcome.ABANDONED, "namespace gone-" + i + " not found");
    }
    assertThat(observers.remembered()).isZero();
  }
}
