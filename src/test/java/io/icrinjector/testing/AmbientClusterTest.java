package io.icrinjector.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 23: with {@code KUBECONFIG} and {@code ~/.kube/config} naming a live cluster, as on every Kubernetes
 * developer's machine, the tests open no connection to it, nor do the processes they start. Proven the way the
 * leak was found: a listener on loopback that counts the connections it accepts, a kubeconfig naming it, and real
 * tests run in a JVM whose environment has both (a Quarkus application on fabric8's default configuration, one
 * with the mock API server, and kubectl rendering {@code deploy/}).
 *
 * <p>Before {@link ChildEnv}, {@code kubectl kustomize} read the inherited {@code KUBECONFIG} and, as the Google
 * Cloud SDK's kubectl (a dispatcher that asks the server for its version), connected five times per rendering:
 * {@code mvn test} made 75 connections.
 */
class AmbientClusterTest {

  /** Real tests that start a Kubernetes client or kubectl: the default client, the mock server, kustomize. */
  static final List<String> CLASSES =
      List.of(
          "io.icrinjector.door.AdmissionRoutesTest", "io.icrinjector.deploy.DeployManifestsTest");

  @Test
  void testsAndTheirChildrenNeverReachTheClusterOfTheMachine(@TempDir Path home) throws Exception {
    try (AmbientCluster machine = new AmbientCluster(home)) {
      machine.runQuietly(CLASSES, AmbientCluster.pomProperties());
    }
  }

  /** Maven starts the test JVM without the machine's cluster settings (pom.xml, excludedEnvironmentVariables). */
  @Test
  void mavenStartsTheTestJvmWithoutTheMachinesClusterSettings() {
    assumeTrue(
        System.getProperty("surefire.test.class.path") != null, "run by surefire or failsafe");
    for (String name :
        List.of(
            "KUBECONFIG",
            "KUBERNETES_MASTER",
            "KUBERNETES_SERVICE_HOST",
            "KUBERNETES_AUTH_TOKEN",
            "KUBERNETES_NAMESPACE")) {
      assertThat(System.getenv(name)).as(name).isNull();
    }
  }
}
