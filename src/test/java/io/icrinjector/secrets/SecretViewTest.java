package io.icrinjector.secrets;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The view's rules: the watch is the authority, and a deleted object cannot come back through a late API result. */
class SecretViewTest {

  static Secret secret(String uid, String resourceVersion, String value) {
    return new SecretBuilder().withNewMetadata().withName("all-icr-io").withNamespace("team-a").withUid(uid)
        .withResourceVersion(resourceVersion).endMetadata().withData(Map.of("k", value)).build();
  }

  @Test
  void aLateCreateResultDoesNotResurrectADeletedSecret() {
    SecretView view = new SecretView();
    Secret created = secret("u1", "5", "djE=");
    view.observed(created);
    view.observedDeleted(created);
    view.learned(created); // our own create call's result, arriving after the watch saw create and delete
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
}
