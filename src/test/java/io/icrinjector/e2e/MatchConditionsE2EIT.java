package io.icrinjector.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MatchCondition;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.icrinjector.config.MatchConditions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * deploy/'s matchConditions on kube-apiserver v1.37.2: the API server accepts the expression, calls the webhook for
 * every pod with an image on a handled host (in any container list, ephemeral containers included) and never for a
 * pod without one; what the webhook sees is read from its own admission counter. And the app's start-up check says
 * when its rules name a host the conditions skip.
 *
 * <p>No test depends on another or on their order: each names its own pods, reads the admission counter before and
 * after, and the one that restarts the webhook with a bad rule starts it again as it was.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MatchConditionsE2EIT {

  static final String NS = "e2e-match";
  static final Pattern ADMISSIONS =
      Pattern.compile("(?m)^icr_injector_admissions_total\\{[^}]*} ([0-9.E]+)$");

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
                .withData(Map.of(".dockerconfigjson", "eyJhdXRocyI6e319"))
                .build())
        .create();
    webhook = Webhook.install(cluster);
    webhook.register();
    webhook.restart(); // the start-up check now finds the registration
    cluster.namespace(NS, "enabled");
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
  void theApiServerStoredTheGeneratedConditionOnBothWebhooks() {
    var stored =
        admin
            .admissionRegistration()
            .v1()
            .mutatingWebhookConfigurations()
            .withName("icr-injector")
            .get();
    assertThat(stored.getWebhooks())
        .hasSize(2)
        .extracting(MutatingWebhook::getMatchConditions)
        .allSatisfy(
            cs ->
                assertThat(cs)
                    .extracting(MatchCondition::getName)
                    .containsExactly(MatchConditions.NAME));
  }

  @Test
  void aPodWithNoIbmImageNeverReachesTheWebhook() throws Exception {
    double before = admissions();
    Pod stored =
        admin
            .pods()
            .inNamespace(NS)
            .resource(
                new PodBuilder()
                    .withNewMetadata()
                    .withName("plain")
                    .endMetadata()
                    .withNewSpec()
                    .addNewInitContainer()
                    .withName("init")
                    .withImage("docker.io/library/busybox:1")
                    .endInitContainer()
                    .addNewContainer()
                    .withName("app")
                    .withImage("quay.io/acme/app:1")
                    .endContainer()
                    .endSpec()
                    .build())
            .create();
    assertThat(stored.getSpec().getImagePullSecrets()).isEmpty();
    assertThat(admissions()).as("admissions the webhook counted").isEqualTo(before);
    assertThat(webhook.logText()).doesNotContain("pod=plain");

    // the control: the same namespace, one IBM image, and the webhook is called (and counts it
    // before answering)
    pod("control", "app", "registry.ng.bluemix.net/acme/app:1");
    assertThat(admissions()).isEqualTo(before + 1);
  }

  @Test
  void anImageInInitContainersOrInAnyCaseIsEnough() throws Exception {
    Pod stored =
        admin
            .pods()
            .inNamespace(NS)
            .resource(
                new PodBuilder()
                    .withNewMetadata()
                    .withName("init")
                    .endMetadata()
                    .withNewSpec()
                    .addNewInitContainer()
                    .withName("migrate")
                    .withImage("registry.eu-de.bluemix.net/acme/migrate:1")
                    .endInitContainer()
                    .addNewContainer()
                    .withName("app")
                    .withImage("quay.io/acme/app:1")
                    .endContainer()
                    .endSpec()
                    .build())
            .create();
    assertThat(stored.getSpec().getInitContainers().get(0).getImage())
        .isEqualTo("de.icr.io/acme/migrate:1");
    assertThat(stored.getSpec().getImagePullSecrets())
        .extracting(LocalObjectReference::getName)
        .containsExactly("all-icr-io");

    double before = admissions();
    pod("upper", "app", "Registry.NG.Bluemix.NET/acme/app:1");
    assertThat(admissions()).as("a host in capitals reaches the webhook").isEqualTo(before + 1);
  }

  @Test
  void aPrivateIcrHostGetsItsPullSecret() {
    Pod stored = pod("private", "app", "private.us.icr.io/acme/app:1");
    assertThat(stored.getSpec().getContainers().get(0).getImage())
        .isEqualTo("private.us.icr.io/acme/app:1");
    assertThat(stored.getSpec().getImagePullSecrets())
        .extracting(LocalObjectReference::getName)
        .containsExactly("all-icr-io");
  }

  @Test
  void anEphemeralContainerOnADeprecatedHostIsRewrittenAndOneWithoutIsNeverSent() throws Exception {
    pod("debugged", "app", "quay.io/acme/app:1");
    double before = admissions();
    admin
        .pods()
        .inNamespace(NS)
        .withName("debugged")
        .ephemeralContainers()
        .edit(
            p ->
                new PodBuilder(p)
                    .editSpec()
                    .addNewEphemeralContainer()
                    .withName("plain")
                    .withImage("docker.io/library/busybox:1")
                    .endEphemeralContainer()
                    .endSpec()
                    .build());
    assertThat(admissions()).as("an ephemeral container without an IBM image").isEqualTo(before);

    Pod updated =
        admin
            .pods()
            .inNamespace(NS)
            .withName("debugged")
            .ephemeralContainers()
            .edit(
                p ->
                    new PodBuilder(p)
                        .editSpec()
                        .addNewEphemeralContainer()
                        .withName("debug")
                        .withImage("registry.ng.bluemix.net/acme/debug:1")
                        .endEphemeralContainer()
                        .endSpec()
                        .build());
    assertThat(admissions()).isEqualTo(before + 1);
    assertThat(updated.getSpec().getEphemeralContainers())
        .extracting(c -> c.getName() + "=" + c.getImage())
        .containsExactly("plain=docker.io/library/busybox:1", "debug=us.icr.io/acme/debug:1");
  }

  @Test
  void deploysRbacLetsTheAppCheckAndItFindsNothingMissing() throws Exception {
    assertThat(webhook.logText()).doesNotContain("could not check", "skips pods on");
    awaitGauge("0.0");
  }

  @Test
  void aRuleForAHostTheConditionsSkipIsAnErrorAtStart() throws Exception {
    webhook.restart(
        "-Dicr.pull-secret-rules=icr.io=all-icr-io,*.icr.io=all-icr-io,private.*.icr.io=all-icr-io,"
            + "harbor.corp.example=all-icr-io");
    try {
      startedWithAHostTheConditionsSkip();
    } finally {
      webhook.restart(); // as the other tests expect it: deploy/'s rules
    }
  }

  private void startedWithAHostTheConditionsSkip() throws Exception {
    Processes.await(
        "the start-up check",
        java.time.Duration.ofSeconds(30),
        null,
        null,
        () -> webhook.logText().contains("skips pods on"));
    assertThat(webhook.logText())
        .contains("ERROR")
        .contains("webhook mutate.icr-injector.io")
        .contains("webhook audit.icr-injector.io")
        .contains("skips pods on [harbor.corp.example]")
        .contains("Fix: add [harbor.corp.example] to the host list of the expression");
    awaitGauge("1.0"); // set once the check has looked at every webhook, just after its log lines
    // what the ERROR warns about: such a pod is created without the secret its rule names
    Pod stored = pod("harbor", "app", "harbor.corp.example/acme/app:1");
    assertThat(stored.getSpec().getImagePullSecrets()).isEmpty();
  }

  Pod pod(String name, String container, String image) {
    return admin
        .pods()
        .inNamespace(NS)
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName(container)
                .withImage(image)
                .endContainer()
                .endSpec()
                .build())
        .create();
  }

  void awaitGauge(String value) {
    Pattern gauge =
        Pattern.compile(
            "(?m)^icr_injector_match_conditions_missing_hosts(\\{[^}]*})? "
                + Pattern.quote(value)
                + "$");
    Processes.await(
        "icr_injector_match_conditions_missing_hosts " + value,
        java.time.Duration.ofSeconds(30),
        null,
        null,
        () -> {
          try {
            return gauge.matcher(metrics()).find();
          } catch (Exception e) {
            return false;
          }
        });
  }

  /** Every admission the webhook has counted, any path and result. */
  double admissions() throws Exception {
    Matcher m = ADMISSIONS.matcher(metrics());
    double sum = 0;
    while (m.find()) {
      sum += Double.parseDouble(m.group(1));
    }
    return sum;
  }

  String metrics() throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(webhook.managementUrl() + "/q/metrics")).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }
}
