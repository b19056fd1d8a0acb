package io.icrinjector.deploy;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.icrinjector.door.Reviews;
import io.icrinjector.engine.MutationEngine;
import io.icrinjector.engine.RewriteRules;
import io.icrinjector.handler.Endpoint;
import io.icrinjector.management.Management;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Renders {@code deploy/} with kubectl's kustomize and checks that it matches the running app (paths, ports,
 * probes, labels) and the install's safety invariants.
 */
@QuarkusTest
@WithKubernetesTestServer(
    crud = true) // readiness needs an API server to sync the pull-secret view from
class DeployManifestsTest {

  static final String NS = "icr-injector";
  static List<HasMetadata> objects;

  @Inject RewriteRules rules;

  @BeforeAll
  static void render() {
    objects = Manifests.render("deploy");
  }

  @Test
  void rendersTheWholeInstall() {
    assertThat(objects)
        .extracting(o -> o.getKind() + "/" + o.getMetadata().getName())
        .contains(
            "Namespace/icr-injector",
            "ServiceAccount/icr-injector",
            "ClusterRole/icr-injector",
            "ClusterRoleBinding/icr-injector",
            "Deployment/icr-injector",
            "Service/icr-injector",
            "PodDisruptionBudget/icr-injector",
            "Issuer/icr-injector-selfsigned",
            "Certificate/icr-injector-tls",
            "MutatingWebhookConfiguration/icr-injector");
    assertThat(objects).filteredOn(o -> o instanceof MutatingWebhookConfiguration).hasSize(1);
    assertThat(objects)
        .filteredOn(
            o ->
                !(o instanceof Namespace)
                    && !o.getKind().startsWith("Cluster")
                    && !o.getKind().equals("MutatingWebhookConfiguration"))
        .allSatisfy(o -> assertThat(o.getMetadata().getNamespace()).as(o.getKind()).isEqualTo(NS));
  }

  @Test
  void webhooksCallTheAppsPathsWithTheContractsSelectors() {
    MutatingWebhookConfiguration config =
        Manifests.one(objects, MutatingWebhookConfiguration.class, "icr-injector");
    assertThat(config.getWebhooks())
        .extracting(w -> w.getClientConfig().getService().getPath())
        .containsExactlyInAnyOrder(Endpoint.MUTATE.path(), Endpoint.AUDIT.path());
    Service service = Manifests.one(objects, Service.class, "icr-injector");
    for (MutatingWebhook w : config.getWebhooks()) {
      String mode =
          w.getClientConfig().getService().getPath().equals(Endpoint.MUTATE.path())
              ? "enabled"
              : "audit";
      assertThat(w.getClientConfig().getService().getName())
          .isEqualTo(service.getMetadata().getName());
      assertThat(w.getClientConfig().getService().getNamespace()).isEqualTo(NS);
      assertThat(w.getClientConfig().getService().getPort()).isEqualTo(443);
      assertThat(w.getAdmissionReviewVersions()).containsExactly("v1");
      assertThat(w.getSideEffects()).isEqualTo("NoneOnDryRun");
      assertThat(w.getReinvocationPolicy()).isEqualTo("IfNeeded");
      assertThat(w.getFailurePolicy()).isEqualTo("Ignore");
      assertThat(w.getTimeoutSeconds()).isBetween(1, 10);
      assertThat(w.getNamespaceSelector().getMatchExpressions())
          .contains(
              new LabelSelectorRequirement("icr-injector.io/inject", "In", List.of(mode)),
              new LabelSelectorRequirement(
                  "kubernetes.io/metadata.name", "NotIn", List.of(NS, "kube-system")));
      assertThat(w.getObjectSelector().getMatchExpressions())
          .containsExactly(
              new LabelSelectorRequirement(MutationEngine.SKIP_LABEL, "NotIn", List.of("true")));
      assertThat(w.getRules())
          .anySatisfy(
              r -> {
                assertThat(r.getOperations()).containsExactly("CREATE");
                assertThat(r.getResources()).containsExactly("pods");
                assertThat(r.getApiGroups()).containsExactly("");
              });
      assertThat(w.getRules())
          .anySatisfy(
              r -> {
                assertThat(r.getOperations()).containsExactly("UPDATE");
                assertThat(r.getResources()).containsExactly("pods/ephemeralcontainers");
              });
    }
  }

  @Test
  void serviceReachesTheAppsHttpsPortAndCertManagerSignsForIt() {
    Service service = Manifests.one(objects, Service.class, "icr-injector");
    Deployment deployment = Manifests.one(objects, Deployment.class, "icr-injector");
    Container app = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(service.getSpec().getSelector())
        .isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
    assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(deployment.getSpec().getSelector().getMatchLabels());
    var https =
        service.getSpec().getPorts().stream()
            .filter(p -> p.getPort() == 443)
            .findFirst()
            .orElseThrow();
    int containerPort = port(app, https.getTargetPort().getStrVal());
    assertThat(containerPort).isEqualTo(config("quarkus.http.ssl-port"));

    MutatingWebhookConfiguration config =
        Manifests.one(objects, MutatingWebhookConfiguration.class, "icr-injector");
    GenericKubernetesResource certificate =
        Manifests.generic(objects, "Certificate", "icr-injector-tls");
    assertThat(config.getMetadata().getAnnotations())
        .containsEntry(
            "cert-manager.io/inject-ca-from", NS + "/" + certificate.getMetadata().getName());
    @SuppressWarnings("unchecked")
    List<String> dnsNames =
        (List<String>)
            ((Map<String, Object>) certificate.getAdditionalProperties().get("spec"))
                .get("dnsNames");
    assertThat(dnsNames)
        .contains("icr-injector.icr-injector.svc", "icr-injector.icr-injector.svc.cluster.local");
    String secretName =
        (String) ((Map<?, ?>) certificate.getAdditionalProperties().get("spec")).get("secretName");
    assertThat(deployment.getSpec().getTemplate().getSpec().getVolumes())
        .anySatisfy(
            v ->
                assertThat(v.getSecret() == null ? null : v.getSecret().getSecretName())
                    .isEqualTo(secretName));
    // the app serves TLS from the mounted files through its named TLS configuration
    Map<String, String> env = env(app);
    assertThat(env)
        .containsEntry("QUARKUS_HTTP_TLS_CONFIGURATION_NAME", "webhook")
        .containsEntry("QUARKUS_HTTP_INSECURE_REQUESTS", "disabled");
    String mount =
        app.getVolumeMounts().stream()
            .filter(m -> m.getName().equals("tls"))
            .findFirst()
            .orElseThrow()
            .getMountPath();
    assertThat(env.get("quarkus.tls.webhook.key-store.pem.0.cert")).isEqualTo(mount + "/tls.crt");
    assertThat(env.get("quarkus.tls.webhook.key-store.pem.0.key")).isEqualTo(mount + "/tls.key");
  }

  @Test
  void probesHitEndpointsTheAppServes() {
    Deployment deployment = Manifests.one(objects, Deployment.class, "icr-injector");
    Container app = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
    int managementPort = config("quarkus.management.port");
    for (var probe : List.of(app.getReadinessProbe(), app.getLivenessProbe())) {
      assertThat(port(app, probe.getHttpGet().getPort().getStrVal())).isEqualTo(managementPort);
      String path = probe.getHttpGet().getPath();
      // readiness waits for the first sync of the pull-secret view from the mock server
      await(path + " answers 200")
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(200))
          .untilAsserted(() -> given().port(Management.port()).get(path).then().statusCode(200));
    }
    assertThat(app.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/q/health/ready");
    assertThat(app.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/q/health/live");
  }

  @Test
  void deploymentIsHardened() {
    Deployment deployment = Manifests.one(objects, Deployment.class, "icr-injector");
    var pod = deployment.getSpec().getTemplate().getSpec();
    Container app = pod.getContainers().get(0);
    assertThat(deployment.getSpec().getReplicas()).isGreaterThanOrEqualTo(2);
    assertThat(pod.getTopologySpreadConstraints())
        .anySatisfy(t -> assertThat(t.getTopologyKey()).isEqualTo("kubernetes.io/hostname"));
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(app.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(app.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(app.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(app.getResources().getRequests()).containsKeys("cpu", "memory");
    assertThat(app.getResources().getLimits()).containsKey("memory");
    assertThat(app.getVolumeMounts())
        .filteredOn(m -> m.getName().equals("tls"))
        .singleElement()
        .satisfies(m -> assertThat(m.getReadOnly()).isTrue());
    assertThat(app.getEnv())
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo("ICR_WEBHOOK_NAMESPACE");
              assertThat(e.getValueFrom().getFieldRef().getFieldPath())
                  .isEqualTo("metadata.namespace");
            });
    assertThat(pod.getServiceAccountName())
        .isEqualTo(
            Manifests.one(objects, ServiceAccount.class, "icr-injector").getMetadata().getName());
    PodDisruptionBudget pdb = Manifests.one(objects, PodDisruptionBudget.class, "icr-injector");
    assertThat(pdb.getSpec().getSelector().getMatchLabels())
        .isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
  }

  @Test
  void jvmOptionsNameOneCollectorAndAreTheImagesOwn() throws java.io.IOException {
    Container app =
        Manifests.one(objects, Deployment.class, "icr-injector")
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .get(0);
    Map<String, String> env = env(app);
    // The image's entry point is the java launcher itself, which reads JDK_JAVA_OPTIONS (no
    // run-java.sh whose own
    // GC and heap defaults would need overriding).
    String options = env.get("JDK_JAVA_OPTIONS");
    // The heap follows the container's limit (half of it), so the limit is the one knob: no fixed
    // -Xmx beside it.
    assertThat(options)
        .contains("-XX:MaxRAMPercentage=50", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError")
        .doesNotContain("-Xmx");
    assertThat(
            java.util.regex.Pattern.compile("-XX:\\+Use\\w+GC").matcher(options).results().count())
        .as("collectors named in " + options)
        .isEqualTo(1);
    assertThat(env)
        .doesNotContainKeys("JAVA_TOOL_OPTIONS", "JAVA_OPTS_APPEND", "GC_CONTAINER_OPTIONS");
    String dockerfile =
        java.nio.file.Files.readString(java.nio.file.Path.of("src/main/docker/Dockerfile.jvm"));
    assertThat(dockerfile)
        .as("the image's default JVM options are the Deployment's")
        .contains("JDK_JAVA_OPTIONS=\"" + options + "\"");
    // The image's AOT cache, named by -XX:AOTCache alone (-XX:AOTMode=auto, the default: a cache
    // that does not match
    // slows the start, never stops the pod), is the one the image's build step writes, and that
    // step trains it with
    // the same JVM options (the cache holds only what they allow: the collector, the compressed
    // pointers).
    java.util.regex.Matcher cache =
        java.util.regex.Pattern.compile("-XX:AOTCache=(\\S+)").matcher(options);
    assertThat(cache.find()).as("an AOT cache in " + options).isTrue();
    assertThat(options).doesNotContain("-XX:AOTMode", "-XX:SharedArchiveFile", "-Xshare");
    java.util.regex.Matcher run =
        java.util.regex.Pattern.compile("(?m)^RUN (\\[.*\\])$").matcher(dockerfile);
    assertThat(run.find()).as("the Dockerfile's RUN").isTrue();
    List<String> training =
        new java.util.ArrayList<>(
            List.of(
                new com.fasterxml.jackson.databind.ObjectMapper()
                    .readValue(run.group(1), String[].class)));
    assertThat(training).contains("-XX:AOTCacheOutput=" + cache.group(1));
    assertThat(
            training.subList(1, training.indexOf("-jar")).stream()
                .filter(
                    o ->
                        !o.startsWith("-XX:AOTCacheOutput=")
                            && !o.startsWith("-Xlog:")
                            && !o.equals("-XX:-UsePerfData")
                            && !o.equals(
                                "-XX:MaxRAM=256m")) // no container limit in the build's chroot: the
                // heap a 256Mi pod gets
                .toList())
        .as("the training run's JVM options")
        .isEqualTo(
            java.util.Arrays.stream(options.split("\\s+"))
                .filter(o -> !o.startsWith("-XX:AOTCache="))
                .toList());
  }

  @Test
  void preStopNeedsNothingInTheImage() {
    Container app =
        Manifests.one(objects, Deployment.class, "icr-injector")
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .get(0);
    // The image has no shell and no sleep binary: the kubelet's own sleep action, not an exec.
    assertThat(app.getLifecycle().getPreStop().getExec()).isNull();
    assertThat(app.getLifecycle().getPreStop().getSleep().getSeconds()).isPositive();
  }

  @Test
  void rbacIsLeastPrivilege() {
    List<PolicyRule> all =
        objects.stream()
            .filter(ClusterRole.class::isInstance)
            .map(ClusterRole.class::cast)
            .flatMap(r -> r.getRules().stream())
            .toList();
    assertThat(all)
        .allSatisfy(
            r -> {
              assertThat(r.getVerbs()).doesNotContain("*");
              assertThat(r.getResources()).doesNotContain("*");
              assertThat(r.getApiGroups()).doesNotContain("*");
            });
    List<PolicyRule> secretRules =
        all.stream().filter(r -> r.getResources().contains("secrets")).toList();
    assertThat(secretRules)
        .allSatisfy(
            r -> {
              if (r.getResourceNames() == null || r.getResourceNames().isEmpty()) {
                assertThat(r.getVerbs())
                    .as("secrets without resourceNames")
                    .containsExactly("create");
              } else {
                assertThat(r.getResourceNames())
                    .containsExactlyInAnyOrderElementsOf(rules.secretNames());
                assertThat(r.getVerbs()).doesNotContain("delete", "deletecollection");
              }
            });
    assertThat(secretRules)
        .anySatisfy(
            r ->
                assertThat(r.getVerbs())
                    .containsExactlyInAnyOrder("get", "list", "watch", "patch"));
    // The webhook's own role reads namespaces only to watch the opt-in label: list and watch,
    // nothing else.
    ClusterRole webhook = Manifests.one(objects, ClusterRole.class, "icr-injector");
    assertThat(webhook.getRules())
        .filteredOn(r -> r.getResources().contains("namespaces"))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getResources()).containsExactly("namespaces");
              assertThat(r.getVerbs()).containsExactlyInAnyOrder("list", "watch");
              assertThat(r.getResourceNames()).isNullOrEmpty();
            });
    assertThat(objects)
        .filteredOn(ClusterRoleBinding.class::isInstance)
        .map(ClusterRoleBinding.class::cast)
        .allSatisfy(
            b ->
                assertThat(b.getSubjects())
                    .singleElement()
                    .satisfies(
                        s ->
                            assertThat(s.getName() + "@" + s.getNamespace())
                                .isEqualTo("icr-injector@" + NS)));
  }

  @Test
  void theRotationLeaseIsTheOnlyLeaseTheWebhookMayWriteAndOnlyInItsNamespace() throws Exception {
    io.fabric8.kubernetes.api.model.rbac.Role lease =
        Manifests.one(
            objects,
            io.fabric8.kubernetes.api.model.rbac.Role.class,
            "icr-injector-rotation-lease");
    assertThat(lease.getMetadata().getNamespace()).isEqualTo(NS);
    String leaseName =
        io.icrinjector.config.IcrConfig.SecretCopy.class
            .getMethod("leaseName")
            .getAnnotation(io.smallrye.config.WithDefault.class)
            .value();
    assertThat(lease.getRules())
        .allSatisfy(
            r -> {
              assertThat(r.getApiGroups()).containsExactly("coordination.k8s.io");
              assertThat(r.getResources()).containsExactly("leases");
              if (r.getResourceNames() == null || r.getResourceNames().isEmpty()) {
                assertThat(r.getVerbs())
                    .as("leases without resourceNames")
                    .containsExactly("create");
              } else {
                assertThat(r.getResourceNames()).containsExactly(leaseName);
                // fabric8 7.x's LeaseLock reads, then takes over, renews and releases with a JSON
                // merge patch (ResourceLock.update
                // sends a PATCH): no update, which an older fabric8 sent.
                assertThat(r.getVerbs()).containsExactlyInAnyOrder("get", "patch");
              }
            });
    io.fabric8.kubernetes.api.model.rbac.RoleBinding binding =
        Manifests.one(
            objects,
            io.fabric8.kubernetes.api.model.rbac.RoleBinding.class,
            "icr-injector-rotation-lease");
    assertThat(binding.getRoleRef().getName()).isEqualTo("icr-injector-rotation-lease");
    assertThat(binding.getSubjects())
        .singleElement()
        .satisfies(
            s -> assertThat(s.getName() + "@" + s.getNamespace()).isEqualTo("icr-injector@" + NS));
  }

  @Test
  void failClosedOverlayOnlyFlipsTheFailurePolicy() {
    List<HasMetadata> failClosed = Manifests.render("deploy/overlays/fail-closed");
    MutatingWebhookConfiguration config =
        Manifests.one(failClosed, MutatingWebhookConfiguration.class, "icr-injector");
    // The audit webhook only reports: it stays Ignore (failing closed would block pods for a
    // report).
    assertThat(config.getWebhooks())
        .extracting(w -> w.getName() + "=" + w.getFailurePolicy())
        .containsExactly("mutate.icr-injector.io=Fail", "audit.icr-injector.io=Ignore");
    assertThat(failClosed).hasSameSizeAs(objects);
  }

  /** The paths the webhooks call answer there: /mutate with a patch that moves the pod, /audit with findings. */
  @Test
  void webhookPathsAnswerReviews() {
    String review = Reviews.fixture("create-us-south.json");
    jakarta.json.JsonObject pod =
        Reviews.parse(review).getJsonObject("request").getJsonObject("object");
    jakarta.json.JsonObject mutated =
        Reviews.response(
            given()
                .body(review)
                .contentType("application/json")
                .post(Endpoint.MUTATE.path())
                .then()
                .statusCode(200)
                .extract()
                .asString());
    assertThat(mutated.getBoolean("allowed")).isTrue();
    jakarta.json.JsonObject patched = Reviews.apply(Reviews.patch(mutated), pod);
    assertThat(
            patched
                .getJsonObject("spec")
                .getJsonArray("containers")
                .getJsonObject(0)
                .getString("image"))
        .isEqualTo("us.icr.io/acme/shop:1.4.2");
    assertThat(
            patched
                .getJsonObject("spec")
                .getJsonArray("imagePullSecrets")
                .getJsonObject(0)
                .getString("name"))
        .isEqualTo("all-icr-io");

    jakarta.json.JsonObject audited =
        Reviews.response(
            given()
                .body(review)
                .contentType("application/json")
                .post(Endpoint.AUDIT.path())
                .then()
                .statusCode(200)
                .extract()
                .asString());
    assertThat(audited.getBoolean("allowed")).isTrue();
    assertThat(audited.containsKey("patch")).isFalse();
    assertThat(audited.getJsonArray("warnings").getValuesAs(jakarta.json.JsonString::getString))
        .contains(
            "icr-injector: would rewrite container web: registry.ng.bluemix.net -> us.icr.io");
  }

  static Map<String, String> env(Container c) {
    return c.getEnv().stream()
        .filter(e -> e.getValue() != null)
        .collect(java.util.stream.Collectors.toMap(e -> e.getName(), e -> e.getValue()));
  }

  /**
   * The NetworkPolicy selects the webhook's pods, lets in only the container's two ports (the probes' port among
   * them) and lets out only the API server's usual ports and DNS. Static: no enforcing network plugin runs here or on
   * the test node, so what it blocks in a real cluster is a claim (README, "Operating it").
   */
  @Test
  void networkPolicyOpensOnlyTheWebhookAndManagementPorts() {
    Deployment deployment = Manifests.one(objects, Deployment.class, "icr-injector");
    Container app = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
    NetworkPolicy policy = Manifests.one(objects, NetworkPolicy.class, "icr-injector");
    assertThat(policy.getSpec().getPodSelector().getMatchLabels())
        .isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
    assertThat(policy.getSpec().getPolicyTypes()).containsExactlyInAnyOrder("Ingress", "Egress");
    assertThat(policy.getSpec().getIngress())
        .flatExtracting(r -> r.getPorts())
        .extracting(p -> p.getPort().getIntVal())
        .containsExactlyInAnyOrder(port(app, "https"), port(app, "management"));
    assertThat(app.getReadinessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("management");
    assertThat(policy.getSpec().getEgress())
        .flatExtracting(r -> r.getPorts())
        .extracting(p -> p.getPort().getIntVal())
        .containsOnly(443, 6443, 53);
    assertThat(env(app)).containsEntry("ICR_MANAGEMENT_AUTH", "enabled");
    ClusterRole metrics = Manifests.one(objects, ClusterRole.class, "icr-injector-metrics-reader");
    assertThat(metrics.getRules())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getNonResourceURLs()).containsExactly("/q/metrics");
              assertThat(r.getVerbs()).containsExactly("get");
            });
    ClusterRoleBinding delegator =
        Manifests.one(objects, ClusterRoleBinding.class, "icr-injector-auth-delegator");
    assertThat(delegator.getRoleRef().getName()).isEqualTo("system:auth-delegator");
  }

  static int port(Container c, String name) {
    return c.getPorts().stream()
        .filter(p -> name.equals(p.getName()))
        .map(ContainerPort::getContainerPort)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no container port named " + name));
  }

  /**
   * A port as the packaged app is configured. Not the running test instance's config: there the port keys answer
   * with the random ports this instance bound (quarkus.*.test-port=0), not the ones the image listens on.
   */
  static int config(String key) {
    Properties main = new Properties();
    try (Reader in =
        Files.newBufferedReader(Path.of("src/main/resources/application.properties"))) {
      main.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Integer.parseInt(Objects.requireNonNull(main.getProperty(key), key).trim());
  }
}
