package io.icrinjector.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.icrinjector.deploy.Manifests;
import io.icrinjector.testing.ChildEnv;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Every claim of the product, proven through a real kube-apiserver: registration, TLS and caBundle, selectors,
 * the patch as the API server applies it, dry-run, warnings, the secret copy under deploy/'s RBAC, rotation, and
 * failurePolicy Ignore. The webhook runs as the packaged jar with its ServiceAccount's token.
 *
 * <p>One control plane and one webhook serve every test (they take seconds to start), and no test depends on another
 * or on their order: each makes the namespaces it looks at, and the one that stops the webhook starts it again.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebhookE2EIT {

  static final String SECRET = "all-icr-io";
  static final String MANAGED_BY = "app.kubernetes.io/managed-by";

  ControlPlane cluster;
  Webhook webhook;
  KubernetesClient admin;

  @BeforeAll
  void start() {
    cluster = ControlPlane.start();
    admin = cluster.admin();
    admin
        .secrets()
        .inNamespace("default")
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(SECRET)
                .endMetadata()
                .withType("kubernetes.io/dockerconfigjson")
                .withData(
                    Map.of(
                        ".dockerconfigjson",
                        b64(
                            "{\"auths\":{\"us.icr.io\":{\"username\":\"iamapikey\",\"password\":\"v1\"}}}")))
                .build())
        .create();
    webhook = Webhook.install(cluster);
    webhook.register();
  }

  @AfterAll
  void stop() {
    if (webhook != null) {
      webhook.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void enabledNamespaceGetsRewrittenImagesThePullSecretAndItsCopy() {
    namespace("e2e-enabled", "enabled");
    Pod stored =
        admin
            .pods()
            .inNamespace("e2e-enabled")
            .resource(pod("app", "registry.ng.bluemix.net/acme/app:1.0"))
            .create();

    assertThat(stored.getSpec().getContainers().get(0).getImage())
        .isEqualTo("us.icr.io/acme/app:1.0");
    assertThat(stored.getSpec().getImagePullSecrets())
        .extracting(LocalObjectReference::getName)
        .containsExactly(SECRET);
    // copied before the answer: present as soon as the create returns
    Secret copy = admin.secrets().inNamespace("e2e-enabled").withName(SECRET).get();
    Secret source = admin.secrets().inNamespace("default").withName(SECRET).get();
    assertThat(copy).as("copied secret").isNotNull();
    assertThat(copy.getMetadata().getLabels()).containsEntry(MANAGED_BY, "icr-injector");
    assertThat(copy.getType()).isEqualTo(source.getType());
    assertThat(copy.getData()).isEqualTo(source.getData());
    Processes.await(
        "an Event on the namespace",
        Duration.ofSeconds(10),
        null,
        null,
        () ->
            admin.v1().events().inNamespace("e2e-enabled").list().getItems().stream()
                .anyMatch(e -> e.getReason().equals("PullSecretCopied")));
    assertThat(webhook.logText())
        .contains(
            "namespace=e2e-enabled pod=app patched rewrites=[app: registry.ng.bluemix.net/acme/app:1.0 -> us.icr.io/acme/app:1.0]");
  }

  @Test
  void unlabelledNamespaceIsNotTouched() {
    namespace("e2e-plain", null);
    Pod stored =
        admin
            .pods()
            .inNamespace("e2e-plain")
            .resource(pod("app", "registry.ng.bluemix.net/acme/app:1.0"))
            .create();
    assertThat(stored.getSpec().getContainers().get(0).getImage())
        .isEqualTo("registry.ng.bluemix.net/acme/app:1.0");
    assertThat(stored.getSpec().getImagePullSecrets()).isEmpty();
    // The positive signal: a pod created after it, in an opted-in namespace, went through the
    // webhook (patched, its
    // decision logged). Then the absence is checked for a bounded time, not after a sleep.
    namespace("e2e-plain-marker", "enabled");
    Pod marker =
        admin
            .pods()
            .inNamespace("e2e-plain-marker")
            .resource(pod("app", "registry.ng.bluemix.net/acme/app:1.0"))
            .create();
    assertThat(marker.getSpec().getContainers().get(0).getImage())
        .isEqualTo("us.icr.io/acme/app:1.0");
    await("the marker pod's decision in the webhook's log")
        .atMost(Duration.ofSeconds(10))
        .until(() -> webhook.logText().contains("namespace=e2e-plain-marker pod=app patched"));
    assertThat(webhook.logText()).doesNotContain("namespace=e2e-plain ");
    await("no copy in e2e-plain")
        .pollDelay(Duration.ZERO)
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(5))
        .until(() -> admin.secrets().inNamespace("e2e-plain").withName(SECRET).get() == null);
  }

  @Test
  void auditNamespaceIsUnchangedAndTheClientSeesWarnings() throws Exception {
    namespace("e2e-audit", "audit");
    Path manifest = cluster.work().resolve("audit-pod.yaml");
    Files.writeString(
        manifest, Serialization.asYaml(pod("app", "registry.eu-de.bluemix.net/acme/app:2")));
    String out = cluster.kubectl("create", "-n", "e2e-audit", "-f", manifest.toString());

    assertThat(out)
        .contains(
            "Warning: icr-injector: would rewrite container app: registry.eu-de.bluemix.net -> de.icr.io")
        .contains("Warning: icr-injector: would add imagePullSecret all-icr-io")
        .contains("Warning: icr-injector: would copy secret all-icr-io from namespace default");
    Pod stored = admin.pods().inNamespace("e2e-audit").withName("app").get();
    assertThat(stored.getSpec().getContainers().get(0).getImage())
        .isEqualTo("registry.eu-de.bluemix.net/acme/app:2");
    assertThat(stored.getSpec().getImagePullSecrets()).isEmpty();
    assertThat(admin.secrets().inNamespace("e2e-audit").withName(SECRET).get()).isNull();
  }

  @Test
  void serverSideDryRunReturnsTheRewrittenPodAndCreatesNothing() {
    namespace("e2e-dryrun", "enabled");
    Pod answered =
        admin
            .pods()
            .inNamespace("e2e-dryrun")
            .resource(
                pod(
                    "app",
                    "registry.au-syd.bluemix.net/acme/app@sha256:" + "0123456789abcdef".repeat(4)))
            .dryRun()
            .create();
    assertThat(answered.getSpec().getContainers().get(0).getImage())
        .isEqualTo("au.icr.io/acme/app@sha256:" + "0123456789abcdef".repeat(4));
    assertThat(answered.getSpec().getImagePullSecrets())
        .extracting(LocalObjectReference::getName)
        .containsExactly(SECRET);
    // The positive signal: the replicator took the review as a dry run (and counted it so), then
    // nothing appears
    // for a bounded time.
    await("a dry-run copy counted")
        .atMost(Duration.ofSeconds(10))
        .until(() -> counter("icr_injector_secret_copies_total{result=\"dry_run\"}") >= 1);
    await("nothing created in e2e-dryrun")
        .pollDelay(Duration.ZERO)
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                admin.pods().inNamespace("e2e-dryrun").withName("app").get() == null
                    && admin.secrets().inNamespace("e2e-dryrun").withName(SECRET).get() == null);
  }

  @Test
  void rotationUpdatesOurCopiesAndNeverAUsersSecret() {
    namespace("e2e-rotated", "enabled");
    admin
        .pods()
        .inNamespace("e2e-rotated")
        .resource(pod("app", "registry.ng.bluemix.net/acme/app:1"))
        .create();
    assertThat(admin.secrets().inNamespace("e2e-rotated").withName(SECRET).get())
        .as("our copy")
        .isNotNull();
    namespace("e2e-foreign", "enabled");
    Map<String, String> usersData =
        Map.of(
            ".dockerconfigjson", b64("{\"auths\":{\"us.icr.io\":{\"password\":\"users-own\"}}}"));
    admin
        .secrets()
        .inNamespace("e2e-foreign")
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(SECRET)
                .endMetadata()
                .withType("kubernetes.io/dockerconfigjson")
                .withData(usersData)
                .build())
        .create();
    Pod stored =
        admin
            .pods()
            .inNamespace("e2e-foreign")
            .resource(pod("app", "registry.ng.bluemix.net/acme/app:1"))
            .create();
    assertThat(stored.getSpec().getImagePullSecrets())
        .extracting(LocalObjectReference::getName)
        .containsExactly(SECRET);

    Map<String, String> rotated =
        Map.of(
            ".dockerconfigjson",
            b64("{\"auths\":{\"us.icr.io\":{\"username\":\"iamapikey\",\"password\":\"v2\"}}}"));
    admin
        .secrets()
        .inNamespace("default")
        .withName(SECRET)
        .edit(s -> new SecretBuilder(s).withData(rotated).build());

    Processes.await(
        "copy follows the rotated source",
        Duration.ofSeconds(30),
        null,
        null,
        () ->
            rotated.equals(
                admin.secrets().inNamespace("e2e-rotated").withName(SECRET).get().getData()));
    Secret users = admin.secrets().inNamespace("e2e-foreign").withName(SECRET).get();
    assertThat(users.getData()).isEqualTo(usersData);
    assertThat(users.getMetadata().getLabels()).doesNotContainKey(MANAGED_BY);
  }

  @Test
  void theWebhookRunsWithExactlyDeploysRbac() {
    namespace("e2e-rbac", "enabled");
    admin
        .pods()
        .inNamespace("e2e-rbac")
        .resource(pod("app", "registry.ng.bluemix.net/acme/app:1"))
        .create();
    try (KubernetesClient asWebhook = cluster.withToken(webhook.token())) {
      assertThat(asWebhook.secrets().inNamespace("e2e-rbac").withName(SECRET).get()).isNotNull();
      assertThatThrownBy(() -> asWebhook.secrets().inAnyNamespace().list())
          .isInstanceOf(KubernetesClientException.class)
          .extracting(e -> ((KubernetesClientException) e).getCode())
          .isEqualTo(403);
      assertThatThrownBy(() -> asWebhook.secrets().inNamespace("default").withName("other").get())
          .isInstanceOf(KubernetesClientException.class)
          .extracting(e -> ((KubernetesClientException) e).getCode())
          .isEqualTo(403);
      assertThatThrownBy(
              () -> asWebhook.secrets().inNamespace("e2e-rbac").withName(SECRET).delete())
          .isInstanceOf(KubernetesClientException.class)
          .extracting(e -> ((KubernetesClientException) e).getCode())
          .isEqualTo(403);
    }
  }

  @Test
  void migrationReportReadsTheRealCluster() throws Exception {
    namespace("e2e-reported", "enabled");
    admin
        .pods()
        .inNamespace("e2e-reported")
        .resource(pod("app", "registry.ng.bluemix.net/acme/app:1"))
        .create();
    namespace("e2e-legacy", null);
    admin
        .apps()
        .deployments()
        .inNamespace("e2e-legacy")
        .resource(
            new DeploymentBuilder()
                .withNewMetadata()
                .withName("shop")
                .endMetadata()
                .withNewSpec()
                .withNewSelector()
                .addToMatchLabels("app", "shop")
                .endSelector()
                .withNewTemplate()
                .withNewMetadata()
                .addToLabels("app", "shop")
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("web")
                .withImage("registry.eu-gb.bluemix.net/acme/shop:3")
                .endContainer()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build())
        .create();

    HttpResponse<String> json =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(webhook.managementUrl() + "/report")).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(json.statusCode()).as(json.body()).isEqualTo(200);
    assertThat(metrics())
        .containsPattern("icr_injector_secret_copies_total\\{result=\"created\"\\} [1-9]")
        .containsPattern(
            "icr_injector_rewrites_total\\{from_host=\"registry.ng.bluemix.net\",to_host=\"us.icr.io\"\\} [1-9]");
    assertThat(json.body())
        .contains(
            "\"name\":\"e2e-legacy\"",
            "registry.eu-gb.bluemix.net/acme/shop:3",
            "uk.icr.io/acme/shop:3")
        .contains("\"name\":\"e2e-reported\"");

    // the same from the command line, with the admin's kubeconfig
    ProcessBuilder pb =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                "target/quarkus-app/quarkus-run.jar",
                "report")
            .redirectError(ProcessBuilder.Redirect.DISCARD);
    ChildEnv.apply(pb, ChildEnv.withKubeconfig(cluster.kubeconfig()));
    Process p = pb.start();
    String table = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(table).isZero();
    assertThat(table)
        .contains("NAMESPACE e2e-legacy  inject=none  pull-secrets=all-icr-io:missing")
        .contains("Deployment/shop")
        .contains("registry.eu-gb.bluemix.net/acme/shop:3 -> uk.icr.io/acme/shop:3")
        .contains("NAMESPACE e2e-reported  inject=enabled  pull-secrets=all-icr-io:managed");
  }

  @Test
  void deployObjectsPassServerSideDryRun() throws Exception {
    List<HasMetadata> known =
        Manifests.render("deploy").stream()
            .filter(o -> !o.getApiVersion().startsWith("cert-manager.io/"))
            .toList();
    // The live registration points at a local URL; applying the service-based one over it would
    // merge the two
    // clientConfigs. A name of its own keeps the dry run about deploy/'s object as written.
    known.stream()
        .filter(o -> o.getKind().equals("MutatingWebhookConfiguration"))
        .forEach(o -> o.getMetadata().setName("icr-injector-dry-run"));
    Path file = cluster.work().resolve("deploy-known.yaml");
    Files.writeString(
        file, known.stream().map(Serialization::asYaml).collect(Collectors.joining("\n")));
    String out = cluster.kubectl("apply", "--dry-run=server", "-f", file.toString());
    for (HasMetadata o : known) {
      assertThat(out).contains(o.getMetadata().getName());
    }
    assertThat(out)
        .contains(
            "mutatingwebhookconfiguration.admissionregistration.k8s.io/icr-injector-dry-run created")
        .contains("deployment.apps/icr-injector")
        .contains("(server dry run)");
  }

  @Test
  void withoutCertManagerTheDefaultInstallSaysWhatIsMissing() {
    // What an admin sees on a cluster without cert-manager (README, "Install"): kubectl names the
    // kind it cannot
    // map and says to install the CRDs first.
    assertThatThrownBy(() -> cluster.kubectl("apply", "--dry-run=server", "-k", "deploy"))
        .hasMessageContaining(
            "no matches for kind \"Certificate\" in version \"cert-manager.io/v1\"")
        .hasMessageContaining("no matches for kind \"Issuer\" in version \"cert-manager.io/v1\"")
        .hasMessageContaining("ensure CRDs are installed first");
  }

  @Test
  void withTheWebhookDownPodsAreStillCreated() {
    webhook.stop();
    try {
      namespace("e2e-down", "enabled");
      Pod stored =
          admin
              .pods()
              .inNamespace("e2e-down")
              .resource(pod("while-down", "registry.ng.bluemix.net/acme/app:1"))
              .create();
      assertThat(stored.getSpec().getContainers().get(0).getImage())
          .isEqualTo("registry.ng.bluemix.net/acme/app:1");
    } finally {
      webhook.start();
    }
  }

  /** The value of one sample of the webhook's metrics ({@code name{tags}} as Prometheus writes it); 0 when absent. */
  double counter(String sample) throws Exception {
    return metrics()
        .lines()
        .filter(l -> l.startsWith(sample + " "))
        .findFirst()
        .map(l -> Double.parseDouble(l.substring(sample.length() + 1).strip()))
        .orElse(0.0);
  }

  String metrics() throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(webhook.managementUrl() + "/q/metrics")).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  // --- helpers
  // -----------------------------------------------------------------------------------------------

  void namespace(String name, String mode) {
    cluster.namespace(name, mode);
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

  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
