package io.icrinjector.secrets;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.icrinjector.kube.Labels;
import io.icrinjector.management.Management;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.restassured.config.HttpClientConfig;
import io.restassured.config.RestAssuredConfig;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, item 6: with the API server hanging on every copy, readiness and metrics still answer. Copies used to
 * run on Quarkus's worker pool, which health and metrics need too: a few hundred pods in new namespaces left them
 * no thread, and the pod went NotReady while it still answered admissions. Here the worker pool has two threads
 * and eight copies hang, more than it could hold.
 */
@QuarkusTest
@TestProfile(CopiesDoNotStarveHealthTest.TwoWorkers.class)
@WithKubernetesTestServer(crud = true)
class CopiesDoNotStarveHealthTest {

  /** A worker pool that hanging copies would fill at once, and copy requests that wait as long as the test. */
  public static class TwoWorkers implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "quarkus.thread-pool.max-threads", "2", "icr.secret-copy.request-timeout", "60s");
    }
  }

  private static final int HANGING = 8;

  @KubernetesTestServer KubernetesServer server;

  @Inject KubernetesClient client;

  @Inject SecretReplicator replicator;

  @Test
  void readinessAndMetricsAnswerWhileCopiesHang() {
    client
        .secrets()
        .inNamespace("default")
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("all-icr-io")
                .endMetadata()
                .addToData("k", SecretReplicatorScenarios.b64("v"))
                .build())
        .createOr(e -> e.update());
    for (int i = 0; i < HANGING; i++) {
      String ns = "hang-" + i;
      client
          .namespaces()
          .resource(
              new NamespaceBuilder()
                  .withNewMetadata()
                  .withName(ns)
                  .addToLabels(Labels.INJECT, Labels.INJECT_ENABLED)
                  .endMetadata()
                  .build())
          .create();
      server
          .expect()
          .post()
          .delay(60, TimeUnit.SECONDS)
          .withPath("/api/v1/namespaces/" + ns + "/secrets")
          .andReturn(201, "{}")
          .always();
    }
    await().atMost(Duration.ofSeconds(20)).until(replicator::synced);
    int before = server.getKubernetesMockServer().getRequestCount();

    for (int i = 0; i < HANGING; i++) {
      replicator
          .ensure("hang-" + i, List.of("all-icr-io"), false)
          .subscribe()
          .with(w -> {}, e -> {});
    }
    // Copies are waiting on the API server (at least as many as the worker pool has threads).
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> server.getKubernetesMockServer().getRequestCount() - before >= 2);

    // The HTTP client gives up after 5 s: an answer at all is what is checked, not how fast it
    // came.
    RestAssuredConfig patient =
        RestAssuredConfig.config()
            .httpClient(
                HttpClientConfig.httpClientConfig()
                    .setParam("http.connection.timeout", 5_000)
                    .setParam("http.socket.timeout", 5_000));
    given().config(patient).port(Management.port()).get("/q/health/ready").then().statusCode(200);
    given().config(patient).port(Management.port()).get("/q/metrics").then().statusCode(200);
  }
}
