package io.icrinjector.secrets;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.icrinjector.e2e.ControlPlane;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The replicator scenarios again, against a real kube-apiserver and etcd (the end-to-end control plane): the
 * same claims the mock-server test makes, proven where the API server's own semantics (field selectors, conflicts,
 * AlreadyExists, resourceVersion preconditions) apply. A real API server cannot be told to fail the next creates: those
 * scenarios (403, 500) are the mock suite's ({@link MockServerSecretReplicatorTest}), none is skipped here.
 */
class RealApiServerSecretReplicatorIT extends SecretReplicatorScenarios {

  private static ControlPlane cluster;

  @BeforeAll
  static void start() {
    // Outside Quarkus, SmallRye context propagation initialises itself on first use, and two
    // threads doing that
    // at once fail ("ContextManagerProvider already set"): the parallel scenarios would race on it.
    io.smallrye.mutiny.Uni.createFrom()
        .completionStage(java.util.concurrent.CompletableFuture.completedFuture(0))
        .await()
        .indefinitely();
    cluster = ControlPlane.start();
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Override
  protected KubernetesClient admin() {
    return cluster.admin();
  }
}
