package io.icrinjector.report;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.CronJobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.icrinjector.kube.Labels;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The migration report over a mock API server holding known workloads. */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class ReportTest {

  @Inject KubernetesClient client;

  @Inject ReportBuilder builder;

  @BeforeEach
  void cluster() {
    namespace("shop", "enabled");
    namespace("legacy", null);
    namespace("trial", "audit");
    namespace("clean", null);
    client
        .secrets()
        .inNamespace("shop")
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("all-icr-io")
                .withLabels(Map.of("app.kubernetes.io/managed-by", "icr-injector"))
                .endMetadata()
                .build())
        .createOr(c -> c.update());
    client
        .secrets()
        .inNamespace("trial")
        .resource(
            new SecretBuilder().withNewMetadata().withName("all-icr-io").endMetadata().build())
        .createOr(c -> c.update());
    client
        .pods()
        .inNamespace("shop")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("web-1")
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("web")
                .withImage("registry.ng.bluemix.net/acme/web:1")
                .endContainer()
                .addNewContainer()
                .withName("proxy")
                .withImage("us.icr.io/acme/proxy:2")
                .endContainer()
                .endSpec()
                .build())
        .createOr(c -> c.update());
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
                .addNewInitContainer()
                .withName("migrate")
                .withImage("registry.eu-de.bluemix.net/acme/migrate@sha256:" + "ab".repeat(32))
                .endInitContainer()
                .addNewContainer()
                .withName("api")
                .withImage("registry.jp-tok.bluemix.net/acme/api")
                .endContainer()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build())
        .createOr(c -> c.update());
    // a ReplicaSet of that Deployment repeats its template: left to the Deployment's line
    client
        .apps()
        .replicaSets()
        .inNamespace("legacy")
        .resource(
            new ReplicaSetBuilder()
                .withNewMetadata()
                .withName("api-abc")
                .addNewOwnerReference()
                .withKind("Deployment")
                .withName("api")
                .withApiVersion("apps/v1")
                .withUid("u")
                .endOwnerReference()
                .endMetadata()
                .withNewSpec()
                .withNewTemplate()
                .withNewSpec()
                .addNewContainer()
                .withName("api")
                .withImage("registry.ng.bluemix.net/acme/api:old")
                .endContainer()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build())
        .createOr(c -> c.update());
    client
        .batch()
        .v1()
        .cronjobs()
        .inNamespace("legacy")
        .resource(
            new CronJobBuilder()
                .withNewMetadata()
                .withName("nightly")
                .endMetadata()
                .withNewSpec()
                .withSchedule("0 3 * * *")
                .withNewJobTemplate()
                .withNewSpec()
                .withNewTemplate()
                .withNewSpec()
                .addNewContainer()
                .withName("job")
                .withImage("registry.bluemix.net/acme/job:3")
                .endContainer()
                .endSpec()
                .endTemplate()
                .endSpec()
                .endJobTemplate()
                .endSpec()
                .build())
        .createOr(c -> c.update());
    client
        .pods()
        .inNamespace("clean")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("ok")
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("c")
                .withImage("nginx")
                .endContainer()
                .endSpec()
                .build())
        .createOr(c -> c.update());
  }

  @Test
  void listsWhatStillNamesADeprecatedHostByNamespace() {
    MigrationReport report = builder.build();
    assertThat(report.namespaces())
        .extracting(MigrationReport.NamespaceReport::name)
        .containsExactly("legacy", "shop", "trial");
    MigrationReport.NamespaceReport legacy = report.namespaces().get(0);
    assertThat(legacy.mode()).isEqualTo("none");
    assertThat(legacy.pullSecrets())
        .containsExactly(new MigrationReport.SecretState("all-icr-io", "missing"));
    assertThat(legacy.findings())
        .containsExactlyInAnyOrder(
            new MigrationReport.Finding(
                "Deployment",
                "api",
                "migrate",
                "registry.eu-de.bluemix.net/acme/migrate@sha256:" + "ab".repeat(32),
                "de.icr.io/acme/migrate@sha256:" + "ab".repeat(32)),
            new MigrationReport.Finding(
                "Deployment", "api", "api", "registry.jp-tok.bluemix.net/acme/api", null),
            new MigrationReport.Finding(
                "CronJob",
                "nightly",
                "job",
                "registry.bluemix.net/acme/job:3",
                "icr.io/acme/job:3"));
    MigrationReport.NamespaceReport shop = report.namespaces().get(1);
    assertThat(shop.mode()).isEqualTo("enabled");
    assertThat(shop.pullSecrets())
        .containsExactly(new MigrationReport.SecretState("all-icr-io", "managed"));
    assertThat(shop.findings())
        .containsExactly(
            new MigrationReport.Finding(
                "Pod",
                "web-1",
                "web",
                "registry.ng.bluemix.net/acme/web:1",
                "us.icr.io/acme/web:1"));
    MigrationReport.NamespaceReport trial = report.namespaces().get(2);
    assertThat(trial.mode()).isEqualTo("audit");
    assertThat(trial.pullSecrets())
        .containsExactly(new MigrationReport.SecretState("all-icr-io", "present"));
    assertThat(trial.findings()).isEmpty();
    assertThat(report.findings()).isEqualTo(4);
  }

  @Test
  void managementInterfaceServesJsonAndTable() {
    int port = io.icrinjector.management.Management.port();
    JsonPath json =
        given()
            .port(port)
            .get("/report")
            .then()
            .statusCode(200)
            .contentType("application/json")
            .extract()
            .jsonPath();
    assertThat(json.getInt("findings")).isEqualTo(4);
    assertThat(json.getList("namespaces.name")).isEqualTo(List.of("legacy", "shop", "trial"));

    String table =
        given()
            .port(port)
            .queryParam("format", "table")
            .get("/report")
            .then()
            .statusCode(200)
            .extract()
            .asString();
    assertThat(table)
        .startsWith(
            "icr-injector migration report: 4 images still on deprecated hosts in 2 namespace(s)")
        .contains("NAMESPACE legacy  inject=none  pull-secrets=all-icr-io:missing")
        .contains("CronJob/nightly")
        .contains(
            "registry.jp-tok.bluemix.net/acme/api -> (no rewrite rule: add one to icr.rewrites)")
        .contains("NAMESPACE shop  inject=enabled  pull-secrets=all-icr-io:managed");

    given().port(port).queryParam("format", "xml").get("/report").then().statusCode(400);
  }

  void namespace(String name, String mode) {
    var ns = new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build();
    if (mode != null) {
      ns.getMetadata().setLabels(Map.of(Labels.INJECT, mode));
    }
    client.namespaces().resource(ns).createOr(c -> c.update());
  }
}
