package io.icrinjector.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@code deploy/helm/icr-injector} against {@code deploy/}: the default render is the kustomize install, object by
 * object, apart from the differences listed in {@link #normalise}; the values admins change render what the
 * matching overlay renders; bad values fail with a message naming the value.
 */
class HelmChartTest {

  /** Helm's standard labels: on every object of the chart, on none of deploy/. */
  static final Set<String> HELM_LABELS =
      Set.of(
          "helm.sh/chart",
          "app.kubernetes.io/managed-by",
          "app.kubernetes.io/instance",
          "app.kubernetes.io/version");

  static final String DEFAULT_REWRITES =
      "registry.bluemix.net=icr.io,registry.ng.bluemix.net=us.icr.io,"
          + "registry.eu-gb.bluemix.net=uk.icr.io,registry.eu-de.bluemix.net=de.icr.io,registry.au-syd.bluemix.net=au.icr.io";
  static final String DEFAULT_PULL_SECRET_RULES =
      "icr.io=all-icr-io,*.icr.io=all-icr-io,private.*.icr.io=all-icr-io";

  @Test
  void defaultRenderIsTheKustomizeInstall() {
    assertSameInstall(asDeploy(), HelmChart.kustomize("deploy"));
  }

  @Test
  void failClosedRendersLikeTheFailClosedOverlay() {
    assertSameInstall(
        asDeploy("--set", "failurePolicy=Fail"),
        HelmChart.kustomize("deploy/overlays/fail-closed"));
  }

  @Test
  void openshiftRendersLikeTheOpenshiftOverlay() {
    Map<String, Map<String, Object>> chart = asDeploy("--set", "openshift=true");
    assertThat(podSpec(chart).get("securityContext").toString())
        .doesNotContain("runAsUser", "runAsGroup", "fsGroup");
    assertSameInstall(chart, HelmChart.kustomize("deploy/overlays/openshift"));
  }

  @Test
  void theOptionalObjectsRenderLikeTheComponents() {
    Map<String, Map<String, Object>> chart =
        asDeploy(
            "--set",
            "safetyNet.enabled=true",
            "--set",
            "monitoring.serviceMonitor.enabled=true",
            "--set",
            "monitoring.prometheusRule.enabled=true",
            "--set",
            "flowSchema.enabled=true");
    assertThat(chart)
        .containsKeys(
            "FlowSchema//icr-injector",
            "FlowSchema//icr-injector-rotation-lease",
            "PriorityLevelConfiguration//icr-injector",
            "ValidatingAdmissionPolicy//icr-injector-safety-net",
            "ValidatingAdmissionPolicyBinding//icr-injector-safety-net",
            "ServiceMonitor/icr-injector/icr-injector",
            "PrometheusRule/icr-injector/icr-injector");
    assertSameInstall(chart, HelmChart.kustomize("src/test/resources/kustomize/all-components"));
  }

  @Test
  void theDefaultRenderLeavesTheReleaseNamespaceToHelm() {
    Map<String, Map<String, Object>> chart = HelmChart.template();
    assertThat(chart)
        .doesNotContainKey("Namespace//icr-injector")
        .containsKey("Deployment/icr-injector/icr-injector");
  }

  @Test
  void theNetworkPolicyCanBeLeftOut() {
    Map<String, Map<String, Object>> chart = asDeploy("--set", "networkPolicy.enabled=false");
    assertThat(chart)
        .doesNotContainKey("NetworkPolicy/icr-injector/icr-injector")
        .containsKey("Deployment/icr-injector/icr-injector");
  }

  @Test
  void aCustomRuleReachesTheAppTheWebhookConditionAndTheRole() {
    Map<String, Map<String, Object>> chart =
        asDeploy(
            "--set", "rules.rewrites={Registry.Example.com:5000=mirror.example.com}",
            "--set", "rules.pullSecretRules={private.*.Corp.io/team=corp-pull,icr.io=all-icr-io}");
    Map<String, String> env = env(chart);
    assertThat(env)
        .containsEntry("ICR_REWRITES", "Registry.Example.com:5000=mirror.example.com")
        .containsEntry(
            "ICR_PULL_SECRET_RULES", "private.*.Corp.io/team=corp-pull,icr.io=all-icr-io");
    assertThat(expressions(chart))
        .hasSize(2)
        .allSatisfy(
            e ->
                assertThat(e)
                    .contains(
                        "[\"bluemix.net\", \"corp.io\", \"icr.io\", \"registry.example.com\"].exists(h,"));
    assertThat(chart.get("ClusterRole//icr-injector").get("rules").toString())
        .contains("resourceNames=[all-icr-io, corp-pull]");
  }

  @Test
  void providedCertificatesRenderLikeTheLocalCertsOverlay() {
    Map<String, Map<String, Object>> chart =
        asDeploy(
            "--set",
            "certificates.mode=provided",
            "--set",
            "certificates.provided.caCrt=CA",
            "--set",
            "certificates.provided.tlsCrt=CRT",
            "--set",
            "certificates.provided.tlsKey=KEY");
    assertThat(chart.keySet())
        .noneMatch(k -> k.startsWith("Issuer/") || k.startsWith("Certificate/"));
    Map<String, Object> secret = chart.get("Secret/icr-injector/icr-injector-tls");
    assertThat(secret.get("type")).isEqualTo("kubernetes.io/tls");
    assertThat(secret.get("data"))
        .isEqualTo(Map.of("ca.crt", "Q0E=", "tls.crt", "Q1JU", "tls.key", "S0VZ"));
    Map<String, Object> webhooks = chart.get("MutatingWebhookConfiguration//icr-injector");
    assertThat(at(webhooks, "metadata").toString()).doesNotContain("inject-ca-from");
    assertThat(webhookList(chart))
        .hasSize(2)
        .allSatisfy(w -> assertThat(at(w, "clientConfig").get("caBundle")).isEqualTo("Q0E="));
  }

  @Test
  void badValuesFailNamingTheValue() {
    assertFails(List.of("--set", "failurePolicy=Sometimes"), "/failurePolicy", "'Ignore', 'Fail'");
    assertFails(
        List.of("--set", "rules.rewrites={registry.bluemix.net}"),
        "/rules/rewrites/0",
        "does not match");
    assertFails(List.of("--set", "certificates.mode=provided"), "certificates.provided.caCrt");
    assertFails(List.of("--set", "networkPolicy.enabled=yes"), "/networkPolicy/enabled", "boolean");
    assertFails(List.of("--set", "replica=3"), "additional properties 'replica' not allowed");
  }

  // ---- The knobs admins expect of a webhook chart, one render each. ----

  @Test
  void aTypoInANestedValueIsRefused() {
    assertFails(
        List.of("--set", "monitoring.serviceMonitor.lables.release=kps"),
        "/monitoring/serviceMonitor",
        "additional properties 'lables' not allowed");
    assertFails(
        List.of("--set", "image.tga=1.0"), "/image", "additional properties 'tga' not allowed");
    assertFails(
        List.of("--set", "certificates.provided.tlsCert=x"), "/certificates/provided", "'tlsCert'");
    assertFails(List.of("--set", "webhook.timeoutSeconds=2"), "/webhook/timeoutSeconds", "minimum");
    assertFails(List.of("--set", "image.digest=latest"), "/image/digest", "does not match");
  }

  /** The heap is a share of the memory limit (-XX:MaxRAMPercentage): a release without one is refused. */
  @Test
  void aMemoryLimitIsRequiredBecauseTheHeapFollowsIt() {
    assertFails(List.of("--set", "resources.limits.memory=null"), "/resources/limits", "memory");
    assertThat(podTemplate(HelmChart.template("--set", "resources.limits.memory=512Mi")).toString())
        .contains("limits={memory=512Mi}");
  }

  @Test
  void commonLabelsAreOnEveryObjectAndThePods() {
    Map<String, Map<String, Object>> chart =
        HelmChart.template(
            "--set",
            "commonLabels.team=platform",
            "--set",
            "createNamespace=true",
            "--set",
            "safetyNet.enabled=true",
            "--set",
            "monitoring.serviceMonitor.enabled=true",
            "--set",
            "monitoring.prometheusRule.enabled=true",
            "--set",
            "monitoring.prometheusBinding.enabled=true");
    assertThat(chart).hasSizeGreaterThan(20);
    assertThat(chart.values())
        .allSatisfy(
            o ->
                assertThat(labels(at(o, "metadata")))
                    .as(HelmChart.key(o))
                    .containsEntry("team", "platform"));
    assertThat(labels(at(podTemplate(chart), "metadata"))).containsEntry("team", "platform");
    assertThat(
            at(
                at(at(chart.get("Deployment/icr-injector/icr-injector"), "spec"), "selector"),
                "matchLabels"))
        .doesNotContainKey("team");
  }

  @Test
  void theImageTagDefaultsToTheAppVersionAndADigestWins() throws Exception {
    String appVersion =
        java.nio.file.Files.readAllLines(java.nio.file.Path.of(HelmChart.CHART, "Chart.yaml"))
            .stream()
            .filter(l -> l.startsWith("appVersion:"))
            .findFirst()
            .orElseThrow()
            .replaceAll("appVersion:\\s*\"?([^\"]*)\"?", "$1");
    assertThat(
            container(HelmChart.template().get("Deployment/icr-injector/icr-injector"))
                .get("image"))
        .isEqualTo("icr-injector:" + appVersion);
    assertThat(
            container(
                    HelmChart.template(
                            "--set",
                            "image.tag=9.9.9",
                            "--set",
                            "image.repository=icr.io/acme/icr-injector")
                        .get("Deployment/icr-injector/icr-injector"))
                .get("image"))
        .isEqualTo("icr.io/acme/icr-injector:9.9.9");
    String digest = "sha256:" + "0123456789abcdef".repeat(4);
    assertThat(
            container(
                    HelmChart.template(
                            "--set", "image.tag=9.9.9", "--set", "image.digest=" + digest)
                        .get("Deployment/icr-injector/icr-injector"))
                .get("image"))
        .isEqualTo("icr-injector@" + digest);
  }

  @Test
  void pullSecretsForTheWebhooksOwnImage() {
    Map<String, Object> pod =
        podSpec(HelmChart.template("--set-json", "imagePullSecrets=[{\"name\":\"all-icr-io\"}]"));
    assertThat(pod.get("imagePullSecrets")).isEqualTo(List.of(Map.of("name", "all-icr-io")));
    assertThat(podSpec(HelmChart.template())).doesNotContainKey("imagePullSecrets");
  }

  @Test
  void schedulingValuesReachThePodSpec() {
    Map<String, Object> pod =
        podSpec(
            HelmChart.template(
                "--set", "nodeSelector.node-role\\.kubernetes\\.io/infra=",
                "--set-json",
                    "tolerations=[{\"key\":\"infra\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]",
                "--set-json",
                    "affinity={\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
                        + "{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\",\"values\":[\"a\"]}]}]}}}"));
    assertThat(pod.get("nodeSelector")).isEqualTo(Map.of("node-role.kubernetes.io/infra", ""));
    assertThat(pod.get("tolerations"))
        .isEqualTo(List.of(Map.of("key", "infra", "operator", "Exists", "effect", "NoSchedule")));
    assertThat(pod.get("affinity").toString()).contains("nodeAffinity", "key=zone");
    assertThat(pod).containsKey("topologySpreadConstraints");
    assertThat(podSpec(HelmChart.template()))
        .doesNotContainKeys("nodeSelector", "tolerations", "affinity");
  }

  @Test
  void podLabelsAndAnnotationsReachThePodsNotTheSelector() {
    Map<String, Map<String, Object>> chart =
        HelmChart.template(
            "--set",
            "podLabels.team=platform",
            "--set",
            "podAnnotations.example\\.com/owner=platform");
    Map<String, Object> metadata = at(podTemplate(chart), "metadata");
    assertThat(labels(metadata))
        .containsEntry("team", "platform")
        .containsEntry("app.kubernetes.io/name", "icr-injector");
    assertThat(at(metadata, "annotations"))
        .containsEntry("example.com/owner", "platform")
        .containsEntry("prometheus.io/path", "/q/metrics");
    assertThat(
            at(
                at(at(chart.get("Deployment/icr-injector/icr-injector"), "spec"), "selector"),
                "matchLabels"))
        .doesNotContainKey("team");
    assertThat(labels(at(chart.get("Service/icr-injector/icr-injector"), "metadata")))
        .doesNotContainKey("team");
  }

  @Test
  void serviceAccountAnnotations() {
    Map<String, Object> sa =
        HelmChart.template("--set", "serviceAccount.annotations.example\\.com/role=webhook")
            .get("ServiceAccount/icr-injector/icr-injector");
    assertThat(at(at(sa, "metadata"), "annotations"))
        .isEqualTo(Map.of("example.com/role", "webhook"));
    assertThat(at(HelmChart.template().get("ServiceAccount/icr-injector/icr-injector"), "metadata"))
        .doesNotContainKey("annotations");
  }

  @Test
  @SuppressWarnings("unchecked")
  void extraEnvIsAddedToTheContainer() {
    Map<String, Map<String, Object>> chart =
        HelmChart.template(
            "--set-json",
            "extraEnv=[{\"name\":\"ICR_SECRET_COPY_MAX_PENDING\",\"value\":\"1000\"},"
                + "{\"name\":\"NODE\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"spec.nodeName\"}}}]");
    List<Map<String, Object>> env =
        (List<Map<String, Object>>)
            container(chart.get("Deployment/icr-injector/icr-injector")).get("env");
    assertThat(env)
        .contains(
            Map.of("name", "ICR_SECRET_COPY_MAX_PENDING", "value", "1000"),
            Map.of(
                "name",
                "NODE",
                "valueFrom",
                Map.of("fieldRef", Map.of("fieldPath", "spec.nodeName"))));
    assertThat(env).extracting(e -> e.get("name")).doesNotHaveDuplicates();
  }

  @Test
  void logLevelAndJsonFormat() {
    assertThat(env(HelmChart.template()))
        .doesNotContainKeys("QUARKUS_LOG_LEVEL", "QUARKUS_LOG_CONSOLE_JSON_ENABLED");
    assertThat(
            env(HelmChart.template("--set", "logging.level=DEBUG", "--set", "logging.format=json")))
        .containsEntry("QUARKUS_LOG_LEVEL", "DEBUG")
        .containsEntry("QUARKUS_LOG_CONSOLE_JSON_ENABLED", "true");
    assertFails(List.of("--set", "logging.format=xml"), "/logging/format");
  }

  @Test
  void theWebhookTimeoutReachesBothWebhooksAndTheApp() {
    Map<String, Map<String, Object>> chart =
        HelmChart.template("--set", "webhook.timeoutSeconds=10");
    assertThat(webhookList(chart)).extracting(w -> w.get("timeoutSeconds")).containsExactly(10, 10);
    assertThat(env(chart)).containsEntry("ICR_SECRET_COPY_WEBHOOK_TIMEOUT", "10s");
  }

  @Test
  void extraNamespaceSelectorExpressionsAreAddedToBothWebhooks() {
    Map<String, Map<String, Object>> chart =
        HelmChart.template(
            "--set-json",
            "webhook.namespaceSelectorExpressions=[{\"key\":\"team\",\"operator\":\"In\",\"values\":[\"a\",\"b\"]}]");
    assertThat(webhookList(chart))
        .hasSize(2)
        .allSatisfy(
            w ->
                assertThat(at(w, "namespaceSelector").get("matchExpressions"))
                    .asList()
                    .hasSize(3)
                    .contains(
                        Map.of(
                            "key",
                            "icr-injector.io/inject",
                            "operator",
                            "In",
                            "values",
                            List.of(
                                w.get("name").toString().startsWith("mutate")
                                    ? "enabled"
                                    : "audit")))
                    .contains(
                        Map.of("key", "team", "operator", "In", "values", List.of("a", "b"))));
  }

  @Test
  void failurePolicyFailLeavesTheAuditWebhookFailingOpen() {
    assertThat(webhookList(HelmChart.template("--set", "failurePolicy=Fail")))
        .extracting(w -> w.get("name") + "=" + w.get("failurePolicy"))
        .containsExactly("mutate.icr-injector.io=Fail", "audit.icr-injector.io=Ignore");
  }

  @Test
  void oneReplicaRendersNoDisruptionBudgetThatWouldBlockDrains() {
    assertThat(HelmChart.template("--set", "replicas=1"))
        .doesNotContainKey("PodDisruptionBudget/icr-injector/icr-injector")
        .containsKey("Deployment/icr-injector/icr-injector");
    assertThat(
            at(
                HelmChart.template("--set", "replicas=3")
                    .get("PodDisruptionBudget/icr-injector/icr-injector"),
                "spec"))
        .containsEntry("minAvailable", 1);
  }

  @Test
  void anExistingTlsSecretIsMountedWithItsCaAndNoCertManager() {
    Map<String, Map<String, Object>> chart =
        HelmChart.template(
            "--set",
            "certificates.mode=existingSecret",
            "--set",
            "certificates.existingSecret.name=corp-webhook-tls",
            "--set",
            "certificates.existingSecret.caBundle=CA");
    assertThat(chart.keySet())
        .noneMatch(
            k ->
                k.startsWith("Issuer/") || k.startsWith("Certificate/") || k.startsWith("Secret/"));
    assertThat(podSpec(chart).get("volumes").toString()).contains("secretName=corp-webhook-tls");
    assertThat(at(chart.get("MutatingWebhookConfiguration//icr-injector"), "metadata").toString())
        .doesNotContain("inject-ca-from");
    assertThat(webhookList(chart))
        .hasSize(2)
        .allSatisfy(w -> assertThat(at(w, "clientConfig").get("caBundle")).isEqualTo("Q0E="));
    assertFails(
        List.of(
            "--set",
            "certificates.mode=existingSecret",
            "--set",
            "certificates.existingSecret.name=x"),
        "certificates.existingSecret.caBundle");
  }

  @Test
  void anExistingIssuerSignsTheServingCertificate() {
    Map<String, Map<String, Object>> chart =
        HelmChart.template(
            "--set",
            "certificates.certManager.issuerRef.kind=ClusterIssuer",
            "--set",
            "certificates.certManager.issuerRef.name=corp-ca");
    assertThat(chart.keySet())
        .filteredOn(k -> k.startsWith("Issuer/") || k.startsWith("Certificate/"))
        .containsExactly("Certificate/icr-injector/icr-injector-tls");
    assertThat(at(at(chart.get("Certificate/icr-injector/icr-injector-tls"), "spec"), "issuerRef"))
        .isEqualTo(Map.of("kind", "ClusterIssuer", "name", "corp-ca"));
    assertThat(at(chart.get("MutatingWebhookConfiguration//icr-injector"), "metadata").toString())
        .contains("cert-manager.io/inject-ca-from=icr-injector/icr-injector-tls");
  }

  @Test
  @SuppressWarnings("unchecked")
  void serviceMonitorLabelsIntervalAndHonorLabels() {
    Map<String, Object> monitor =
        HelmChart.template(
                "--set",
                "monitoring.serviceMonitor.enabled=true",
                "--set",
                "monitoring.serviceMonitor.labels.release=kps",
                "--set",
                "monitoring.serviceMonitor.interval=15s",
                "--set",
                "monitoring.serviceMonitor.scrapeTimeout=5s")
            .get("ServiceMonitor/icr-injector/icr-injector");
    assertThat(labels(at(monitor, "metadata"))).containsEntry("release", "kps");
    Map<String, Object> endpoint =
        ((List<Map<String, Object>>) at(monitor, "spec").get("endpoints")).get(0);
    assertThat(endpoint)
        .containsEntry("interval", "15s")
        .containsEntry("scrapeTimeout", "5s")
        .containsEntry("honorLabels", true);
  }

  @Test
  void prometheusRuleLabelsAndRunbookUrls() {
    Map<String, Object> rule =
        HelmChart.template(
                "--set",
                "monitoring.prometheusRule.enabled=true",
                "--set",
                "monitoring.prometheusRule.labels.release=kps",
                "--set",
                "monitoring.prometheusRule.runbookBaseUrl=https://git.example.com/icr/docs/operating.md")
            .get("PrometheusRule/icr-injector/icr-injector");
    assertThat(labels(at(rule, "metadata"))).containsEntry("release", "kps");
    assertThat(at(rule, "spec").toString())
        .contains(
            "runbook_url=https://git.example.com/icr/docs/operating.md#icrinjectorwebhookfailingopen")
        .doesNotContain("runbook=");
  }

  @Test
  @SuppressWarnings("unchecked")
  void prometheusCanBeBoundToTheMetricsRole() {
    assertThat(HelmChart.template())
        .doesNotContainKey("ClusterRoleBinding//icr-injector-metrics-reader");
    Map<String, Object> binding =
        HelmChart.template(
                "--set",
                "monitoring.prometheusBinding.enabled=true",
                "--set",
                "monitoring.prometheusBinding.serviceAccount.name=kps-prometheus",
                "--set",
                "monitoring.prometheusBinding.serviceAccount.namespace=observability")
            .get("ClusterRoleBinding//icr-injector-metrics-reader");
    assertThat(at(binding, "roleRef"))
        .containsEntry("kind", "ClusterRole")
        .containsEntry("name", "icr-injector-metrics-reader");
    assertThat((List<Map<String, Object>>) binding.get("subjects"))
        .containsExactly(
            Map.of(
                "kind", "ServiceAccount", "name", "kps-prometheus", "namespace", "observability"));
  }

  @Test
  void theSafetyNetsHostListFollowsTheRewriteRules() {
    Map<String, Map<String, Object>> chart =
        HelmChart.template(
            "--set",
            "safetyNet.enabled=true",
            "--set",
            "rules.rewrites={Registry.NG.bluemix.net:443=us.icr.io,registry.example.com:5000=mirror.example.com}");
    assertThat(
            at(chart.get("ValidatingAdmissionPolicy//icr-injector-safety-net"), "spec")
                .get("variables")
                .toString())
        .contains("expression=['registry.ng.bluemix.net', 'registry.example.com:5000']");
  }

  /** Every render goes through kubeconform -strict: a field Kubernetes does not have fails, where the schema lets it by. */
  @Test
  void kubeconformRefusesAFieldKubernetesDoesNotHave() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> HelmChart.template("--set-json", "affinity={\"nodeAfinity\":{}}"))
        .hasMessageContaining("kubeconform -strict refuses")
        .hasMessageContaining("nodeAfinity");
  }

  /**
   * NOTES.txt as {@code helm install} prints it. {@code helm template} prints no notes and a client-side
   * {@code helm install --dry-run} still asks a cluster, so a copy of the chart gets a template that includes the notes
   * into a ConfigMap.
   */
  @Test
  @SuppressWarnings("unchecked")
  void notesSayHowToOptInAndWhatUninstallLeaves(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
    java.nio.file.Path chart = tmp.resolve("icr-injector");
    try (java.util.stream.Stream<java.nio.file.Path> files =
        java.nio.file.Files.walk(java.nio.file.Path.of(HelmChart.CHART))) {
      for (java.nio.file.Path f : files.toList()) {
        java.nio.file.Path to =
            chart.resolve(java.nio.file.Path.of(HelmChart.CHART).relativize(f).toString());
        if (java.nio.file.Files.isDirectory(f)) {
          java.nio.file.Files.createDirectories(to);
        } else {
          java.nio.file.Files.copy(f, to);
        }
      }
    }
    java.nio.file.Files.writeString(
        chart.resolve("templates/zz-notes.yaml"),
        "apiVersion: v1\nkind: ConfigMap\n"
            + "metadata:\n  name: notes\ndata:\n  notes: {{ include \"icr-injector/templates/NOTES.txt\" . | quote }}\n");
    HelmChart.Run run =
        HelmChart.helm(
            List.of(
                "template",
                "icr-injector",
                chart.toString(),
                "--namespace",
                "icr-injector",
                "--kube-version",
                HelmChart.KUBE_VERSION,
                "--show-only",
                "templates/zz-notes.yaml",
                "--set",
                "replicas=1"));
    assertThat(run.exit()).as(run.err()).isZero();
    String notes =
        (String) at(HelmChart.byKey(run.out()).get("ConfigMap//notes"), "data").get("notes");
    assertThat(notes)
        .contains(
            "kubectl label namespace <ns> icr-injector.io/inject=audit",
            "helm test icr-injector -n icr-injector",
            "no PodDisruptionBudget",
            "Secrets icr-injector-ca (the CA's private key)",
            "image icr-injector:0.1.0",
            "a pre-delete Job first deletes the webhook registration",
            "stay in their namespaces (cleanup.onUninstall=true deletes them)");
  }

  @Test
  void helmTestAsksTheServiceForReadiness() {
    HelmChart.Run run =
        HelmChart.helm(
            List.of(
                "template",
                "icr-injector",
                HelmChart.CHART,
                "--namespace",
                "icr-injector",
                "--kube-version",
                HelmChart.KUBE_VERSION,
                "--show-only",
                "templates/tests/service-answers.yaml",
                "--set",
                "tests.image=localhost/wget:1"));
    assertThat(run.exit()).as(run.err()).isZero();
    Map<String, Object> pod =
        HelmChart.byKey(run.out()).get("Pod/icr-injector/icr-injector-test-service");
    assertThat(at(pod, "metadata").get("annotations").toString()).contains("helm.sh/hook=test");
    assertThat(at(pod, "spec").get("containers").toString())
        .contains(
            "image=localhost/wget:1",
            "http://$(ICR_INJECTOR_SERVICE_HOST):$(ICR_INJECTOR_SERVICE_PORT_METRICS)/q/health/ready");
    assertThat(at(pod, "spec").get("enableServiceLinks")).isEqualTo(true);
  }

  @Test
  void helmLintPasses() {
    HelmChart.Run run =
        HelmChart.helm(
            List.of("lint", "--strict", "--kube-version", HelmChart.KUBE_VERSION, HelmChart.CHART));
    assertThat(run.exit()).as(run.out() + run.err()).isZero();
  }

  /**
   * {@code helm template} with the namespace rendered ({@code createNamespace=true}), as {@code deploy/} has it; off
   * by default because {@code helm install} needs the release namespace before it creates anything.
   */
  static Map<String, Map<String, Object>> asDeploy(String... extra) {
    List<String> args = new ArrayList<>(List.of("--set", "createNamespace=true"));
    args.addAll(List.of(extra));
    return HelmChart.template(args.toArray(String[]::new));
  }

  static void assertFails(List<String> values, String... message) {
    HelmChart.Run run = HelmChart.helm(HelmChart.templateArgs(values.toArray(String[]::new)));
    assertThat(run.exit()).as("helm template %s", values).isNotZero();
    assertThat(run.err()).contains(message);
  }

  /**
   * Both renders hold the same objects and, once normalised, the same content. The chart's hooks are not part of the
   * install (the pre-delete Job of templates/uninstall.yaml runs at uninstall; UninstallHookChartTest covers it).
   */
  static void assertSameInstall(
      Map<String, Map<String, Object>> chart, Map<String, Map<String, Object>> kustomize) {
    chart
        .values()
        .removeIf(
            o -> String.valueOf(at(o, "metadata").get("annotations")).contains("helm.sh/hook="));
    assertThat(chart.keySet()).containsExactlyInAnyOrderElementsOf(kustomize.keySet());
    chart.values().forEach(HelmChartTest::normalise);
    for (String key : kustomize.keySet()) {
      assertThat(chart.get(key)).as(key).isEqualTo(kustomize.get(key));
    }
  }

  /**
   * Removes from a chart object what differs from deploy/ on purpose, after checking it is there:
   * <ul>
   *   <li>Helm's standard labels (every object);</li>
   *   <li>ICR_REWRITES and ICR_PULL_SECRET_RULES (the Deployment): the chart writes the rules it renders into the
   *       webhooks too, deploy/ relies on the app's defaults, which are the same (checked here);</li>
   *   <li>ICR_SECRET_COPY_WEBHOOK_TIMEOUT (the Deployment): the chart passes its webhook.timeoutSeconds on, deploy/
   *       relies on the app's default 5s, which is its timeoutSeconds (checked here);</li>
   * </ul>
   */
  @SuppressWarnings("unchecked")
  static void normalise(Map<String, Object> object) {
    Map<String, Object> labels = (Map<String, Object>) at(object, "metadata").get("labels");
    assertThat(labels).as(HelmChart.key(object)).containsKeys(HELM_LABELS.toArray(String[]::new));
    labels.keySet().removeAll(HELM_LABELS);
    if ("Deployment".equals(object.get("kind"))) {
      List<Map<String, Object>> env = (List<Map<String, Object>>) container(object).get("env");
      assertThat(env)
          .contains(
              Map.of("name", "ICR_REWRITES", "value", DEFAULT_REWRITES),
              Map.of("name", "ICR_PULL_SECRET_RULES", "value", DEFAULT_PULL_SECRET_RULES));
      assertThat(env).contains(Map.of("name", "ICR_SECRET_COPY_WEBHOOK_TIMEOUT", "value", "5s"));
      env.removeIf(
          e ->
              Set.of("ICR_REWRITES", "ICR_PULL_SECRET_RULES", "ICR_SECRET_COPY_WEBHOOK_TIMEOUT")
                  .contains(e.get("name")));
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> at(Map<String, Object> object, String field) {
    return (Map<String, Object>) object.get(field);
  }

  static Map<String, Object> podSpec(Map<String, Map<String, Object>> chart) {
    return at(podTemplate(chart), "spec");
  }

  static Map<String, Object> podTemplate(Map<String, Map<String, Object>> chart) {
    return at(at(chart.get("Deployment/icr-injector/icr-injector"), "spec"), "template");
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> labels(Map<String, Object> metadata) {
    return (Map<String, Object>) metadata.getOrDefault("labels", Map.of());
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> container(Map<String, Object> deployment) {
    return ((List<Map<String, Object>>)
            at(at(at(deployment, "spec"), "template"), "spec").get("containers"))
        .get(0);
  }

  @SuppressWarnings("unchecked")
  static Map<String, String> env(Map<String, Map<String, Object>> chart) {
    Map<String, String> env = new java.util.HashMap<>();
    for (Map<String, Object> e :
        (List<Map<String, Object>>)
            container(chart.get("Deployment/icr-injector/icr-injector")).get("env")) {
      if (e.get("value") != null) {
        env.put((String) e.get("name"), (String) e.get("value"));
      }
    }
    return env;
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> webhookList(Map<String, Map<String, Object>> chart) {
    return (List<Map<String, Object>>)
        chart.get("MutatingWebhookConfiguration//icr-injector").get("webhooks");
  }

  @SuppressWarnings("unchecked")
  static List<String> expressions(Map<String, Map<String, Object>> chart) {
    List<String> out = new ArrayList<>();
    for (Map<String, Object> w : webhookList(chart)) {
      for (Map<String, Object> c : (List<Map<String, Object>>) w.get("matchConditions")) {
        out.add((String) c.get("expression"));
      }
    }
    return out;
  }
}
