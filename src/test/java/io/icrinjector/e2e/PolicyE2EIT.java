package io.icrinjector.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The MutatingAdmissionPolicy that {@code make latency} times against the webhook really does what README says, on
 * kube-apiserver v1.37.2 with its default APIs: rewrites {@code registry.ng.bluemix.net} to {@code us.icr.io} in
 * containers and appends {@code all-icr-io} once, keeping the pod's own pull secrets.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PolicyE2EIT {

  static final String NS = "e2e-policy";

  ControlPlane cluster;
  KubernetesClient admin;

  @BeforeAll
  void start() {
    cluster = ControlPlane.start();
    admin = cluster.admin();
    RewritePolicy.install(cluster, NS);
  }

  @AfterAll
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void rewritesContainersOnTheHostAndAppendsTheSecretOnceKeepingTheOthers() {
    Pod stored =
        create(
            new PodBuilder()
                .withNewMetadata()
                .withName("mixed")
                .endMetadata()
                .withNewSpec()
                .addNewImagePullSecret("mine")
                .addNewContainer()
                .withName("app")
                .withImage("registry.ng.bluemix.net/acme/app:1")
                .endContainer()
                .addNewContainer()
                .withName("side")
                .withImage("quay.io/acme/side:2")
                .endContainer()
                .endSpec()
                .build());
    assertThat(stored.getSpec().getContainers())
        .extracting(c -> c.getName() + "=" + c.getImage())
        .containsExactly("app=us.icr.io/acme/app:1", "side=quay.io/acme/side:2");
    assertThat(stored.getSpec().getImagePullSecrets())
        .extracting(LocalObjectReference::getName)
        .containsExactly("mine", "all-icr-io");
  }

  @Test
  void aPodWithoutSecretsGetsTheListAndOneThatHasItIsNotGivenItTwice() {
    Pod bare = create(pod("bare", "registry.ng.bluemix.net/acme/app:1"));
    assertThat(bare.getSpec().getImagePullSecrets())
        .extracting(LocalObjectReference::getName)
        .containsExactly("all-icr-io");

    Pod has =
        create(
            new PodBuilder(pod("has", "registry.ng.bluemix.net/acme/app:1"))
                .editSpec()
                .addNewImagePullSecret("all-icr-io")
                .addNewImagePullSecret("mine")
                .endSpec()
                .build());
    assertThat(has.getSpec().getContainers().get(0).getImage()).isEqualTo("us.icr.io/acme/app:1");
    assertThat(has.getSpec().getImagePullSecrets())
        .extracting(LocalObjectReference::getName)
        .containsExactly("all-icr-io", "mine");
  }

  @Test
  void aPodOnNoDeprecatedHostIsLeftAlone() {
    Pod other = create(pod("other", "us.icr.io/acme/app:1"));
    assertThat(other.getSpec().getContainers().get(0).getImage()).isEqualTo("us.icr.io/acme/app:1");
    assertThat(other.getSpec().getImagePullSecrets()).isEmpty();
  }

  Pod create(Pod pod) {
    return admin.pods().inNamespace(NS).resource(pod).create();
  }

  static Pod pod(String name, String image) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("app")
        .withImage(image)
        .endContainer()
        .endSpec()
        .build();
  }
}
