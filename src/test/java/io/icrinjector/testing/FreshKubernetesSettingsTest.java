package io.icrinjector.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.Config;
import io.quarkus.test.kubernetes.client.KubernetesServerTestResource;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Every test class starts from the same Kubernetes client settings, whichever classes ran before it (see
 * {@link FreshKubernetesSettings} for how the mock server's settings outlived it).
 */
@TestMethodOrder(
    MethodOrderer.OrderAnnotation
        .class) // the class-start check first: the other test resets itself
class FreshKubernetesSettingsTest {

  /**
   * Quarkus's class orderer runs plain classes like this one after every {@code @QuarkusTest}, so in {@code mvn test}
   * it runs after the {@code @WithKubernetesTestServer} classes: without the reset it would see the last mock
   * server's URL, namespace {@code test} and trust-everything.
   */
  @Test
  @Order(1)
  void aClassSeesTheTestDefaultsWhateverRanBefore() {
    assertFreshDefaults();
  }

  /** The real mock-server resource, started and stopped as Quarkus does for a class, then the next class. */
  @Test
  @Order(2)
  void theMockServersSettingsOutliveItUntilTheNextClassStarts() {
    KubernetesServerTestResource resource = new KubernetesServerTestResource();
    resource.init(MockServerClass.class.getAnnotation(WithKubernetesTestServer.class));
    String mockUrl;
    try {
      mockUrl = resource.start().get("kubernetes.master");
    } finally {
      resource.stop();
    }
    try {
      // The leak this guards against. If a Quarkus upgrade makes stop() clean up, this fails: the
      // reset may then go.
      Config leaked = Config.autoConfigure(null);
      assertThat(leaked.getMasterUrl()).startsWith(mockUrl);
      assertThat(leaked.getNamespace()).isEqualTo("test");
      assertThat(leaked.isTrustCerts()).isTrue();
      assertThat(System.getProperty("quarkus.tls.trust-all")).isEqualTo("true");

      new FreshKubernetesSettings().beforeAll(null); // what JUnit calls before the next class
      assertFreshDefaults();
    } finally {
      FreshKubernetesSettings.restore();
    }
  }

  static void assertFreshDefaults() {
    Config config = Config.autoConfigure(null);
    assertThat(config.getMasterUrl()).isEqualTo("https://127.0.0.1:1/");
    assertThat(config.getNamespace()).isNull();
    assertThat(config.isTrustCerts()).isFalse();
    assertThat(System.getProperty("quarkus.tls.trust-all")).isNull();
    assertThat(System.getProperty("http2.disable")).isNull();
  }

  @WithKubernetesTestServer
  static class MockServerClass {}
}
