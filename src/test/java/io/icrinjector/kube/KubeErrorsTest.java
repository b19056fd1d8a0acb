package io.icrinjector.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** The one reading of API failures: codes through wrapping, the terminating namespace by its cause, descriptions. */
class KubeErrorsTest {

  static KubernetesClientException status(int code, String message, String causeReason) {
    StatusBuilder b = new StatusBuilder().withCode(code).withMessage(message).withStatus("Failure");
    if (causeReason != null) {
      b.withNewDetails()
          .addNewCause()
          .withReason(causeReason)
          .withField("metadata.namespace")
          .endCause()
          .endDetails();
    }
    Status s = b.build();
    return new KubernetesClientException(s);
  }

  @Test
  void aTerminatingNamespaceIsKnownByTheApiServersCauseNotByTheWording() {
    KubernetesClientException terminating =
        status(
            403,
            "unable to create new content in namespace team-a because " + "it is being terminated",
            KubeErrors.NAMESPACE_TERMINATING);
    KubernetesClientException rbac =
        status(403, "secrets is forbidden: being terminated is in the user name", null);
    assertThat(KubeErrors.namespaceTerminating(terminating)).isTrue();
    assertThat(KubeErrors.namespaceTerminating(new RuntimeException("wrapped", terminating)))
        .isTrue();
    assertThat(KubeErrors.namespaceTerminating(rbac)).isFalse();
  }

  @Test
  void codesAndDescriptionsLookThroughTheCauseChain() {
    RuntimeException wrapped = new RuntimeException("outer", status(409, "already exists", null));
    assertThat(KubeErrors.code(wrapped)).isEqualTo(409);
    assertThat(KubeErrors.describe(wrapped)).isEqualTo("HTTP 409: already exists");
    RuntimeException down =
        new KubernetesClientException(
            "An error has occurred.", new IOException("Connection refused"));
    assertThat(KubeErrors.code(down)).isZero();
    assertThat(KubeErrors.describe(down)).isEqualTo("IOException: Connection refused");
  }
}
