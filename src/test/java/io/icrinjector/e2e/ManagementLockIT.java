package io.icrinjector.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.icrinjector.deploy.Manifests;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The locked management port on a real kube-apiserver, with the RBAC of deploy/ (management-rbac.yaml, applied by
 * {@link Webhook}): a ServiceAccount bound to icr-injector-metrics-reader, as Prometheus's would be, gets 200 on
 * /q/metrics; one without the binding gets 403; no token or a forged one gets 401; health is open. Then the
 * burn-down gauge counts a Deployment on a deprecated host and drops it once its image moves.
 */
class ManagementLockIT {

  static ControlPlane cluster;
  static Webhook webhook;
  static final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() {
    cluster = ControlPlane.start();
    webhook =
        Webhook.install(
            cluster, List.of("-Dicr.management.auth=enabled", "-Dicr.report.refresh-interval=1s"));
    cluster.namespace("monitoring", null);
    for (String sa : List.of("prometheus", "stranger")) {
      cluster
          .admin()
          .serviceAccounts()
          .inNamespace("monitoring")
          .resource(
              new ServiceAccountBuilder().withNewMetadata().withName(sa).endMetadata().build())
          .create();
    }
    cluster
        .admin()
        .rbac()
        .clusterRoleBindings()
        .resource(
            new ClusterRoleBindingBuilder()
                .withNewMetadata()
                .withName("prometheus-icr-injector-metrics")
                .endMetadata()
                .withNewRoleRef()
                .withApiGroup("rbac.authorization.k8s.io")
                .withKind("ClusterRole")
                .withName("icr-injector-metrics-reader")
                .endRoleRef()
                .addNewSubject()
                .withKind("ServiceAccount")
                .withName("prometheus")
                .withNamespace("monitoring")
                .endSubject()
                .build())
        .create();
  }

  @AfterAll
  static void stop() {
    if (webhook != null) {
      webhook.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  static String token(String serviceAccount) {
    return cluster
        .admin()
        .serviceAccounts()
        .inNamespace("monitoring")
        .withName(serviceAccount)
        .tokenRequest(
            new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build())
        .getStatus()
        .getToken();
  }

  static HttpResponse<String> get(String path, String token)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(webhook.managementUrl() + path))
            .timeout(Duration.ofSeconds(10));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void prometheusTokenIs200OthersAreRefusedHealthIsOpen() throws Exception {
    HttpResponse<String> prometheus = get("/q/metrics", token("prometheus"));
    assertThat(prometheus.statusCode()).isEqualTo(200);
    assertThat(prometheus.body()).contains("icr_injector_deprecated_images_last_refresh_seconds");

    HttpResponse<String> stranger = get("/q/metrics", token("stranger"));
    assertThat(stranger.statusCode()).isEqualTo(403);
    assertThat(stranger.body())
        .contains(
            "system:serviceaccount:monitoring:stranger may not get /q/metrics: it needs `get` "
                + "on nonResourceURL /q/metrics (bind ClusterRole icr-injector-metrics-reader)");
    assertThat(get("/report", token("prometheus")).statusCode())
        .as("metrics-reader does not read the report")
        .isEqualTo(403);

    assertThat(get("/q/metrics", null).statusCode()).isEqualTo(401);
    HttpResponse<String> forged = get("/q/metrics", "not-a-token");
    assertThat(forged.statusCode()).isEqualTo(401);
    assertThat(forged.body()).startsWith("the bearer token is not valid");

    assertThat(get("/q/health/ready", null).statusCode()).isEqualTo(200);
    assertThat(get("/q/health/live", null).statusCode()).isEqualTo(200);
  }

  /** The API server validates deploy/'s NetworkPolicy (nothing here enforces it: no network plugin runs). */
  @Test
  void theApiServerAcceptsTheNetworkPolicy() {
    NetworkPolicy policy =
        Manifests.one(Manifests.render("deploy"), NetworkPolicy.class, "icr-injector");
    cluster.admin().resource(policy).serverSideApply();
    assertThat(
            cluster
                .admin()
                .network()
                .v1()
                .networkPolicies()
                .inNamespace(Webhook.NAMESPACE)
                .withName("icr-injector")
                .get()
                .getSpec()
                .getIngress())
        .hasSize(2);
  }

  @Test
  void theBurnDownGaugeFollowsTheCluster() {
    cluster.namespace("legacy", null);
    cluster
        .admin()
        .apps()
        .deployments()
        .inNamespace("legacy")
        .resource(
            new DeploymentBuilder()
                .withNewMetadata()
                .withName("api")
                .endMetadata()
                .withNewSpec()
                .withNewSelector()
                .addToMatchLabels("app", "api")
                .endSelector()
                .withNewTemplate()
                .withNewMetadata()
                .addToLabels("app", "api")
                .endMetadata()
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
    String series = "icr_injector_deprecated_images{kind=\"Deployment\",namespace=\"legacy\"} 1.0";
    String prometheus = token("prometheus");
    await("the gauge counts the Deployment")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> get("/q/metrics", prometheus).body().contains(series));
    cluster
        .admin()
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
    await("the namespace drops out once moved")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> !get("/q/metrics", prometheus).body().contains("namespace=\"legacy\""));
  }
}
