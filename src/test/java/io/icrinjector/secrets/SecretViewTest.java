package io.icrinjector.secrets;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The view's rules: the watch is the authority, and a deleted object cannot come back through a late API result. */
class SecretViewTest {

  static Secret secret(String uid, String resourceVersion, String value) {
    return new SecretBuilder()
        .withNewMetadata()
        .withName("all-icr-io")
        .withNamespace("team-a")
        .withUid(uid)
        .withResourceVersion(resourceVersion)
        .endMetadata()
        .withData(Map.of("k", value))
        .build();
  }

  @Test
  void aLateCreateResultDoesNotResurrectADeletedSecret() {
    SecretView view = new SecretView();
    Secret created = secret("u1", "5", "djE=");
    view.observed(created);
    view.observedDeleted(created);
    view.learned(
        created); // our own create call's result, arriving after the watch saw create and delete
    assertThat(view.get("team-a", "all-icr-io")).isNull();
    assertThat(view.all("all-icr-io")).isEmpty();
  }

  @Test
  void aNewObjectAfterADeletionIsTaken() {
    SecretView view = new SecretView();
    view.observed(secret("u1", "5", "djE="));
    view.observedDeleted(secret("u1", "6", "djE="));
    Secret recreated = secret("u2", "9", "djI=");
    view.learned(recreated);
    assertThat(view.get("team-a", "all-icr-io")).isEqualTo(recreated);
  }

  @Test
  void anOlderApiResultDoesNotOverrideTheWatch() {
    SecretView view = new SecretView();
    Secret newer = secret("u1", "8", "djI=");
    view.observed(newer);
    view.learned(secret("u1", "7", "djE="));
    assertThat(view.get("team-a", "all-icr-io")).isEqualTo(newer);
  }

  @Test
  void tombstonesAreDroppedOnceNoLateResultCanStillArrive() {
    AtomicLong now = new AtomicLong();
    SecretView view = new SecretView(now::get);
    for (int i = 0; i < 100; i++) {
      Secret s =
          new SecretBuilder(secret("u" + i, "5", "djE="))
              .editMetadata()
              .withNamespace("ns-" + i)
              .endMetadata()
              .build();
      view.observed(s);
      view.observedDeleted(s);
    }
    assertThat(view.tombstones()).isEqualTo(100);

    now.addAndGet(SecretView.TOMBSTONE_TTL_NANOS + TimeUnit.SECONDS.toNanos(1));
    Secret later = secret("u-late", "9", "djE=");
    view.observed(later);
    view.observedDeleted(later);

    assertThat(view.tombstones()).as("only the fresh tombstone is left").isEqualTo(1);
    view.learned(later);
    assertThat(view.get("team-a", "all-icr-io"))
        .as("the fresh one still guards against a late result")
        .isNull();
  }
}
