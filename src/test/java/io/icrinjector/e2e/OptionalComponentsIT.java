package io.icrinjector.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.icrinjector.engine.DefaultRules;
import io.icrinjector.engine.ImageReference;
import io.icrinjector.engine.RewriteRules;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The optional components of {@code deploy/components}, on a real kube-apiserver: the safety-net policy applied
 * with {@code kubectl apply -k} warns kubectl about a pod admitted unchanged while the webhook is stopped (and
 * about nothing else), and the monitoring objects pass a server-side dry run against the Prometheus Operator's
 * CRDs, naming metrics that the API server and the webhook really export.
 *
 * <p>No test depends on another or on their order: each names its own pods, and those that stop the webhook start it
 * again before they end.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OptionalComponentsIT {

  static final String WARNING =
      "Warning: Validation failed for ValidatingAdmissionPolicy 'icr-injector-safety-net'"
          + " with binding 'icr-injector-safety-net': icr-injector did not rewrite ";

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
                .withName("all-icr-io")
                .endMetadata()
                .withType("kubernetes.io/dockerconfigjson")
                .withData(
                    Map.of(
                        ".dockerconfigjson",
                        Base64.getEncoder().encodeToString("{\"auths\":{}}".getBytes())))
                .build())
        .create();
    webhook = Webhook.install(cluster);
    webhook.register();
    cluster.namespace("net-enabled", "enabled");
    cluster.namespace("net-audit", "audit");
    cluster.namespace("net-plain", null);
    assertThat(cluster.kubectl("apply", "-k", "deploy/components/safety-net"))
        .contains(
            "validatingadmissionpolicy.admissionregistration.k8s.io/icr-injector-safety-net created")
        .contains(
            "validatingadmissionpolicybinding.admissionregistration.k8s.io/icr-injector-safety-net created");
    // The API server picks a new policy up from its informer; until then it checks nothing.
    webhook.stop();
    Awaitility.await("the safety-net policy in force")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> dryRun("net-enabled", "registry.ng.bluemix.net/acme/app:1").contains(WARNING));
    webhook.start();
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
  void withTheWebhookRunningThePodIsRewrittenAndNoWarningIsGiven() throws Exception {
    String out = create("net-enabled", pod("up", "registry.ng.bluemix.net/acme/app:1.0"));
    assertThat(out).contains("pod/up created").doesNotContain("Warning");
    assertThat(
            admin
                .pods()
                .inNamespace("net-enabled")
                .withName("up")
                .get()
                .getSpec()
                .getContainers()
                .get(0)
                .getImage())
        .isEqualTo("us.icr.io/acme/app:1.0");
  }

  @Test
  void withTheWebhookStoppedThePodIsAdmittedUnchangedAndKubectlIsWarned() throws Exception {
    webhook.stop();
    try {
      Pod pod =
          new PodBuilder(pod("down", "registry.ng.bluemix.net/acme/app:1.0"))
              .editSpec()
              .addNewInitContainer()
              .withName("init")
              .withImage(
                  "REGISTRY.EU-DE.BLUEMIX.NET:443/acme/init@sha256:" + "0123456789abcdef".repeat(4))
              .endInitContainer()
              .endSpec()
              .build();
      String out = create("net-enabled", pod);

      assertThat(out)
          .contains("pod/down created")
          .contains(
              WARNING
                  + "registry.ng.bluemix.net/acme/app:1.0, REGISTRY.EU-DE.BLUEMIX.NET:443/acme/init@sha256:")
          .contains("If the webhook is down, check `kubectl -n icr-injector get pods`")
          .contains("then re-create the pod");
      Pod stored = admin.pods().inNamespace("net-enabled").withName("down").get();
      assertThat(stored.getSpec().getContainers().get(0).getImage())
          .isEqualTo("registry.ng.bluemix.net/acme/app:1.0");
      assertThat(stored.getSpec().getImagePullSecrets()).isEmpty();

      // What the PrometheusRule's alerts read, as the API server exports it (label names and values
      // included).
      String metrics = admin.raw("/metrics");
      assertThat(metrics)
          .containsPattern(
              Pattern.quote(
                      "apiserver_admission_webhook_fail_open_count{name=\"mutate.icr-injector.io\",type=\"admit\"} ")
                  + "[1-9]")
          .containsPattern(
              Pattern.quote(
                      "apiserver_validating_admission_policy_check_total{enforcement_action=\"warn\","
                          + "error_type=\"invalid_error\",policy=\"icr-injector-safety-net\",policy_binding=\"icr-injector-safety-net\"} ")
                  + "[1-9]");
    } finally {
      webhook.start();
    }
  }

  @Test
  void thePolicyWarnsExactlyWhereTheEngineSeesADeprecatedHost() {
    // Each image through the engine's own reading; the policy, in CEL, must agree on every one.
    List<String> images =
        List.of(
            "registry.ng.bluemix.net/acme/app:1",
            "registry.bluemix.net/acme/app",
            "registry.au-syd.bluemix.net:443/acme/app",
            "Registry.Eu-Gb.Bluemix.Net/acme/app",
            "registry.jp-tok.bluemix.net/a/b",
            "registry.ng.bluemix.net.evil.example/acme/app",
            "myregistry.ng.bluemix.net/acme/app",
            "docker.io/registry.ng.bluemix.net/app",
            "registry.ng.bluemix.net:5000/acme/app",
            "us.icr.io/acme/app:1",
            "nginx:1.27",
            "registry/ng.bluemix.net",
            "localhost:5000/registry.bluemix.net");
    RewriteRules rules = DefaultRules.of();
    webhook.stop();
    try {
      for (String image : images) {
        ImageReference ref = ImageReference.parse(image);
        boolean deprecated =
            ref.hasDefaultHttpsPort()
                && (rules.replacementFor(ref.registryHost()) != null
                    || RewriteRules.isDeprecatedIbmHost(ref.registryHost()));
        assertThat(dryRun("net-enabled", image).contains(WARNING + image))
            .as(image + " warns")
            .isEqualTo(deprecated);
      }
      assertThat(images.stream().filter(i -> dryRun("net-enabled", i).contains(WARNING)).count())
          .isEqualTo(5);
      // Not opted in, or in audit (where the /audit webhook reports): no warning from the policy,
      // ever.
      assertThat(dryRun("net-plain", "registry.ng.bluemix.net/acme/app:1"))
          .doesNotContain("Warning");
      assertThat(dryRun("net-audit", "registry.ng.bluemix.net/acme/app:1"))
          .doesNotContain("ValidatingAdmissionPolicy");
      // Opted out by label: the webhook is not sent the pod, and the policy says nothing either.
      Pod skipped =
          new PodBuilder(pod("skipped", "registry.ng.bluemix.net/acme/app:1"))
              .editMetadata()
              .addToLabels("icr-injector.io/skip", "true")
              .endMetadata()
              .build();
      assertThat(create("net-enabled", skipped))
          .contains("pod/skipped created")
          .doesNotContain("Warning");
    } finally {
      webhook.start();
    }
  }

  @Test
  void monitoringObjectsPassAServerSideDryRunAgainstThePrometheusOperatorCrds() throws Exception {
    Path crds = ControlPlane.binaries().resolve("prometheus-operator-crds");
    assertThat(crds.resolve(".complete"))
        .as("run `make controlplane` to fetch the Prometheus Operator's CRDs")
        .exists();
    cluster.kubectl("apply", "--server-side", "-f", crds.toString());
    // kubectl wait fails outright on a CRD that has no status yet, so it is asked again until both
    // are Established.
    Awaitility.await("the monitoring CRDs established")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () -> {
              try {
                cluster.kubectl(
                    "wait",
                    "--for=condition=Established",
                    "--timeout=10s",
                    "crd/servicemonitors.monitoring.coreos.com",
                    "crd/prometheusrules.monitoring.coreos.com");
                return true;
              } catch (IllegalStateException notYet) {
                return false;
              }
            });

    String out = cluster.kubectl("apply", "--dry-run=server", "-k", "deploy/components/monitoring");
    assertThat(out)
        .contains("servicemonitor.monitoring.coreos.com/icr-injector created (server dry run)")
        .contains("prometheusrule.monitoring.coreos.com/icr-injector created (server dry run)");

    // The dry run does check: the CRD's schema refuses a wrong field value.
    Path bad = cluster.work().resolve("bad-monitor.yaml");
    Files.writeString(
        bad,
        Files.readString(Path.of("deploy/components/monitoring/servicemonitor.yaml"))
            .replace("scheme: http", "scheme: htp"));
    assertThatThrownBy(() -> cluster.kubectl("apply", "--dry-run=server", "-f", bad.toString()))
        .hasMessageContaining("spec.endpoints[0].scheme")
        .hasMessageContaining("htp");

    // Every icr_injector_* metric an alert reads is one the webhook exports (the burn-down gauge
    // aside: it comes
    // with another change of issue 15).
    // A namespace of its own, so that this webhook process copies a secret too (its counters start
    // with a copy).
    cluster.namespace("net-metrics", "enabled");
    create("net-metrics", pod("metrics", "registry.ng.bluemix.net/acme/app:1"));
    String exported =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(webhook.managementUrl() + "/q/metrics")).build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    Matcher m =
        Pattern.compile("icr_injector_[a-z_]+")
            .matcher(Files.readString(Path.of("deploy/components/monitoring/prometheusrule.yaml")));
    int checked = 0;
    while (m.find()) {
      if (!m.group().equals("icr_injector_deprecated_images")) {
        assertThat(exported)
            .as("metric " + m.group())
            .containsPattern("(?m)^" + m.group() + "[{ ]");
        checked++;
      }
    }
    assertThat(checked).isGreaterThanOrEqualTo(3);
  }

  // --- helpers
  // -----------------------------------------------------------------------------------------------

  String create(String namespace, Pod pod) {
    try {
      Path file = Files.createTempFile(cluster.work(), "pod-", ".yaml");
      Files.writeString(file, Serialization.asYaml(pod));
      return cluster.kubectl("create", "-n", namespace, "-f", file.toString());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  String dryRun(String namespace, String image) {
    try {
      Path file = Files.createTempFile(cluster.work(), "pod-", ".yaml");
      Files.writeString(file, Serialization.asYaml(pod("dry", image)));
      return cluster.kubectl("create", "--dry-run=server", "-n", namespace, "-f", file.toString());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
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
}
