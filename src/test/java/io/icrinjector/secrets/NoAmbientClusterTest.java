package io.icrinjector.secrets;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests that are not meant to reach a cluster never do, even on a machine whose kubeconfig names a live context: the
 * test JVM turns fabric8's auto-configuration off (pom.xml, surefire and failsafe), which is what Quarkus's client and
 * every default-built client go through.
 */
class NoAmbientClusterTest {

  @Test
  void autoConfigurationIgnoresTheKubeconfigOfTheMachine(@TempDir Path home) throws Exception {
    Path kubeconfig = home.resolve("config");
    Files.writeString(
        kubeconfig,
        """
        apiVersion: v1
        kind: Config
        current-context: live
        clusters:
        - name: live
          cluster: {server: "https://203.0.113.7:6443"}
        users:
        - name: admin
          user: {token: "live-cluster-token"}
        contexts:
        - name: live
          context: {cluster: live, user: admin, namespace: prod}
        """);
    String previous = System.getProperty("kubeconfig");
    System.setProperty("kubeconfig", kubeconfig.toString());
    try {
      Config config = Config.autoConfigure(null);
      // pom.xml's loopback port where nothing listens: a mock server's URL cannot linger here
      // either, every class
      // starts from these settings (io.icrinjector.testing.FreshKubernetesSettings)
      assertThat(config.getMasterUrl()).isEqualTo("https://127.0.0.1:1/");
      assertThat(config.getOauthToken()).isNull();
      assertThat(config.getCurrentContext()).isNull();
    } finally {
      if (previous == null) {
        System.clearProperty("kubeconfig");
      } else {
        System.setProperty("kubeconfig", previous);
      }
    }
  }
}
