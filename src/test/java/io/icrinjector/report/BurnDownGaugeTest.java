package io.icrinjector.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.icrinjector.management.Management;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The burn-down gauge over a mock API server: objects (not containers) per namespace and kind, a namespace that is
 * done drops out, and a failed refresh keeps the last values and counts the error. The timer's first refresh runs at
 * start; the test then refreshes by hand (the interval is an hour), so no value depends on timing.
 */
@QuarkusTest
@TestProfile(BurnDownGaugeTest.Hourly.class)
@WithKubernetesTestServer(crud = true)
class BurnDownGaugeTest {

  /** The background refresh on, with an interval no test waits for. */
  public static class Hourly implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("icr.report.refresh-interval", "1h");
    }
  }

  @KubernetesTestServer KubernetesServer server;

  @Inject KubernetesClient client;

  @Inject BurnDownGauge gauge;

  @Test
  void countsObjectsByNamespaceAndKindAndKeepsTheLastValuesOnFailure() {
    await("first refresh at start")
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                Management.value(
                        Management.scrape(), "icr_injector_deprecated_images_last_refresh_seconds")
                    > 0);
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName("shop").endMetadata().build())
        .create();
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName("legacy").endMetadata().build())
        .create();
    for (String name : new String[] {"web-1", "web-2"}) {
      client
          .pods()
          .inNamespace("shop")
          .resource(
              new PodBuilder()
                  .withNewMetadata()
                  .withName(name)
                  .endMetadata()
                  .withNewSpec()
                  .addNewContainer()
                  .withName("web")
                  .withImage("registry.ng.bluemix.net/acme/web:1")
                  .endContainer()
                  .addNewContainer()
                  .withName("sidecar")
                  .withImage("registry.bluemix.net/acme/side:1")
                  .endContainer()
                  .endSpec()
                  .build())
          .create();
    }
    client
        .pods()
        .inNamespace("shop")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("new")
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("web")
                .withImage("us.icr.io/acme/web:1")
                .endContainer()
                .endSpec()
                .build())
        .create();
    client
        .apps()
        .deployments()
        .inNamespace("legacy")
        .resource(
            new DeploymentBuilder()
                .withNewMetadata()
                .withName("api")
                .endMetadata()
                .withNewSpec()
                .withNewTemplate()
                .withNewSpec()
                .addNewContainer()
                .withName("api")
                .withImage("registry.eu-de.bluemix.net/acme/api:2")
                .endContainer()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build())
        .create();

    gauge.refresh();
    String scrape = Management.scrape();
    assertThat(
            Management.value(
                scrape, "icr_injector_deprecated_images{kind=\"Pod\",namespace=\"shop\"}"))
        .as("two pods, two old images each: two objects")
        .isEqualTo(2);
    assertThat(
            Management.value(
                scrape, "icr_injector_deprecated_images{kind=\"Deployment\",namespace=\"legacy\"}"))
        .isEqualTo(1);

    // legacy is done: its series goes away; a list that fails keeps what was there
    client
        .apps()
        .deployments()
        .inNamespace("legacy")
        .withName("api")
        .edit(
            d -> {
              d.getSpec()
                  .getTemplate()
                  .getSpec()
                  .getContainers()
                  .get(0)
                  .setImage("de.icr.io/acme/api:2");
              return d;
            });
    client.pods().inNamespace("shop").withName("web-2").delete();
    gauge.refresh();
    scrape = Management.scrape();
    assertThat(scrape).doesNotContain("namespace=\"legacy\"");
    assertThat(
            Management.value(
                scrape, "icr_injector_deprecated_images{kind=\"Pod\",namespace=\"shop\"}"))
        .isEqualTo(1);
    assertThat(Management.value(scrape, "icr_injector_deprecated_images_refresh_errors_total"))
        .isZero();

    // 403, as when the report's ClusterRole is unbound (a 5xx would be retried by fabric8 and
    // succeed)
    server
        .expect()
        .get()
        .withPath("/api/v1/pods?limit=500")
        .andReturn(
            403,
            new StatusBuilder()
                .withCode(403)
                .withReason("Forbidden")
                .withMessage("pods is forbidden")
                .build())
        .once();
    client.pods().inNamespace("shop").withName("web-1").delete();
    gauge.refresh();
    scrape = Management.scrape();
    assertThat(Management.value(scrape, "icr_injector_deprecated_images_refresh_errors_total"))
        .isEqualTo(1);
    assertThat(
            Management.value(
                scrape, "icr_injector_deprecated_images{kind=\"Pod\",namespace=\"shop\"}"))
        .as("the last value stays")
        .isEqualTo(1);

    gauge.refresh();
    assertThat(Management.scrape()).doesNotContain("icr_injector_deprecated_images{");
  }
}
