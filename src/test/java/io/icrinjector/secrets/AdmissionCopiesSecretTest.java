package io.icrinjector.secrets;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.icrinjector.kube.Labels;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Through the HTTP door: a pod created in a namespace without {@code all-icr-io} is patched, and the secret is
 * in its namespace by the time the answer is back, copied by the application's own replicator.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class AdmissionCopiesSecretTest {

  @Inject KubernetesClient client;

  @Inject SecretReplicator replicator;

  @Test
  void aPodInANamespaceWithoutTheSecretGetsItCopied() {
    Secret source =
        client
            .secrets()
            .inNamespace("default")
            .resource(
                new SecretBuilder()
                    .withNewMetadata()
                    .withName("all-icr-io")
                    .endMetadata()
                    .withType("kubernetes.io/dockerconfigjson")
                    .addToData(
                        ".dockerconfigjson",
                        SecretReplicatorScenarios.b64("{\"auths\":{\"us.icr.io\":{}}}"))
                    .build())
            .createOr(existing -> existing.update());
    for (String ns : java.util.List.of("door-team", "door-dry")) {
      client
          .namespaces()
          .resource(
              new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                  .withNewMetadata()
                  .withName(ns)
                  .addToLabels("icr-injector.io/inject", "enabled")
                  .endMetadata()
                  .build())
          .createOr(e -> e.update());
    }
    await().atMost(Duration.ofSeconds(15)).until(replicator::synced);
    assertThat(client.secrets().inNamespace("door-team").withName("all-icr-io").get()).isNull();
    double createdBefore = copies("created");

    given()
        .contentType("application/json")
        .body(review("door-team"))
        .when()
        .post("/mutate")
        .then()
        .statusCode(200)
        .body("response.uid", equalTo("door-1"))
        .body("response.allowed", equalTo(true))
        .body("response.patch", notNullValue())
        .body("response.warnings", nullValue());

    Secret copy = client.secrets().inNamespace("door-team").withName("all-icr-io").get();
    assertThat(copy).as("copy made before the answer").isNotNull();
    assertThat(copy.getData()).isEqualTo(source.getData());
    assertThat(copy.getMetadata().getLabels()).containsEntry(Labels.MANAGED_BY, Labels.MANAGER);
    assertThat(copies("created") - createdBefore).isEqualTo(1);
    // and the namespace gets an Event saying so, written after the answer
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(client.v1().events().inNamespace("door-team").list().getItems())
                    .anySatisfy(
                        e -> {
                          assertThat(e.getReason()).isEqualTo("PullSecretCopied");
                          assertThat(e.getInvolvedObject().getKind()).isEqualTo("Namespace");
                          assertThat(e.getMessage()).contains("all-icr-io");
                        }));
    double dryRunBefore = copies("dry_run");

    // The same request in dry-run mode for another namespace creates nothing.
    given()
        .contentType("application/json")
        .body(review("door-dry").replace("\"operation\"", "\"dryRun\":true,\"operation\""))
        .when()
        .post("/mutate")
        .then()
        .statusCode(200)
        .body("response.patch", notNullValue());
    assertThat(client.secrets().inNamespace("door-dry").withName("all-icr-io").get()).isNull();
    assertThat(copies("dry_run") - dryRunBefore).isEqualTo(1);
  }

  /** {@code icr_injector_secret_copies_total{result=...}} as Prometheus scrapes it. */
  static double copies(String result) {
    return io.icrinjector.management.Management.value(
        io.icrinjector.management.Management.scrape(),
        "icr_injector_secret_copies_total{result=\"" + result + "\"}");
  }

  private static String review(String namespace) {
    return """
        {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{
          "uid":"door-1","kind":{"group":"","version":"v1","kind":"Pod"},
          "resource":{"group":"","version":"v1","resource":"pods"},
          "namespace":"%s","operation":"CREATE",
          "object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"app","namespace":"%s"},
            "spec":{"containers":[{"name":"app","image":"registry.ng.bluemix.net/team/app:1.0"}]}}}}
        """
        .formatted(namespace, namespace);
  }
}
