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
  static final Set<String> HELM_LABELS = Set.of("helm.sh/chart", "app.kubernetes.io/managed-by",
      "app.kubernetes.io/instance", "app.kubernetes.io/version");

  static final String DEFAULT_REWRITES = "registry.bluemix.net=icr.io,registry.ng.bluemix.net=us.icr.io,"
      + "registry.eu-gb.bluemix.net=uk.icr.io,registry.eu-de.bluemix.net=de.icr.io,registry.au-syd.bluemix.net=au.icr.io";
  static final String DEFAULT_PULL_SECRET_RULES = "icr.io=all-icr-io,*.icr.io=all-icr-io,private.*.icr.io=all-icr-io";

  @Test
  void defaultRenderIsTheKustomizeInstall() {
    assertSameInstall(asDeploy(), HelmChart.kustomize("deploy"));
  }

  @Test
  void failClosedRendersLikeTheFailClosedOverlay() {
    assertSameInstall(asDeploy("--set", "failurePolicy=Fail"), HelmChart.kustomize("deploy/overlays/fail-closed"));
  }

  @Test
  void openshiftRendersLikeTheOpenshiftOverlay() {
    Map<String, Map<String, Object>> chart = asDeploy("--set", "openshift=true");
    assertThat(podSpec(chart).get("securityContext").toString()).doesNotContain("runAsUser", "runAsGroup", "fsGroup");
    assertSameInstall(chart, HelmChart.kustomize("deploy/overlays/openshift"));
  }

  @Test
  void theOptionalObjectsRenderLikeTheComponents() {
    Map<String, Map<String, Object>> chart = asDeploy("--set", "safetyNet.enabled=true",
        "--set", "monitoring.serviceMonitor.enabled=true", "--set", "monitoring.prometheusRule.enabled=true",
        "--set", "flowSchema.enabled=true");
    assertThat(chart).containsKeys("FlowSchema//icr-injector", "FlowSchema//icr-injector-rotation-lease",
        "PriorityLevelConfiguration//icr-injector", "ValidatingAdmissionPolicy//icr-injector-safety-net",
        "ValidatingAdmissionPolicyBinding//icr-injector-safety-net", "ServiceMonitor/icr-injector/icr-injector",
        "PrometheusRule/icr-injector/icr-injector");
    assertSameInstall(chart, HelmChart.kustomize("src/test/resources/kustomize/all-components"));
  }

  @Test
  void theDefaultRenderLeavesTheReleaseNamespaceToHelm() {
    Map<String, Map<String, Object>> chart = HelmChart.template();
    assertThat(chart).doesNotContainKey("Namespace//icr-injector").containsKey("Deployment/icr-injector/icr-injector");
  }

  @Test
  void theNetworkPolicyCanBeLeftOut() {
    Map<String, Map<String, Object>> chart = asDeploy("--set", "networkPolicy.enabled=false");
    assertThat(chart).doesNotContainKey("NetworkPolicy/icr-injector/icr-injector")
        .containsKey("Deployment/icr-injector/icr-injector");
  }

  @Test
  void aCustomRuleReachesTheAppTheWebhookConditionAndTheRole() {
    Map<String, Map<String, Object>> chart = asDeploy(
        "--set", "rules.rewrites={Registry.Example.com:5000=mirror.example.com}",
        "--set", "rules.pullSecretRules={private.*.Corp.io/team=corp-pull,icr.io=all-icr-io}");
    Map<String, String> env = env(chart);
    assertThat(env).containsEntry("ICR_REWRITES", "Registry.Example.com:5000=mirror.example.com")
        .containsEntry("ICR_PULL_SECRET_RULES", "private.*.Corp.io/team=corp-pull,icr.io=all-icr-io");
    assertThat(expressions(chart)).hasSize(2).allSatisfy(e -> assertThat(e)
        .contains("[\"bluemix.net\", \"corp.io\", \"icr.io\", \"registry.example.com\"].exists(h,"));
    assertThat(chart.get("ClusterRole//icr-injector").get("rules").toString()).contains("resourceNames=[all-icr-io, corp-pull]");
  }

  @Test
  void providedCertificatesRenderLikeTheLocalCertsOverlay() {
    Map<String, Map<String, Object>> chart = asDeploy("--set", "certificates.mode=provided",
        "--set", "certificates.provided.caCrt=CA", "--set", "certificates.provided.tlsCrt=CRT",
        "--set", "certificates.provided.tlsKey=KEY");
    assertThat(chart.keySet()).noneMatch(k -> k.startsWith("Issuer/") || k.startsWith("Certificate/"));
    Map<String, Object> secret = chart.get("Secret/icr-injector/icr-injector-tls");
    assertThat(secret.get("type")).isEqualTo("kubernetes.io/tls");
    assertThat(secret.get("data")).isEqualTo(Map.of("ca.crt", "Q0E=", "tls.crt", "Q1JU", "tls.key", "S0VZ"));
    Map<String, Object> webhooks = chart.get("MutatingWebhookConfiguration//icr-injector");
    assertThat(at(webhooks, "metadata").toString()).doesNotContain("inject-ca-from");
    assertThat(webhookList(chart)).hasSize(2)
        .allSatisfy(w -> assertThat(at(w, "clientConfig").get("caBundle")).isEqualTo("Q0E="));
  }

  @Test
  void badValuesFailNamingTheValue() {
    assertFails(List.of("--set", "failurePolicy=Sometimes"), "/failurePolicy", "'Ignore', 'Fail'");
    assertFails(List.of("--set", "rules.rewrites={registry.bluemix.net}"), "/rules/rewrites/0", "does not match");
    assertFails(List.of("--set", "certificates.mode=provided"), "certificates.provided.caCrt");
    assertFails(List.of("--set", "networkPolicy.enabled=yes"), "/networkPolicy/enabled", "boolean");
    assertFails(List.of("--set", "replica=3"), "additional properties 'replica' not allowed");
  }

  @Test
  void helmTestAsksTheServiceForReadiness() {
    HelmChart.Run run = HelmChart.helm(List.of("template", "icr-injector", HelmChart.CHART, "--namespace", "icr-injector",
        "--kube-version", HelmChart.KUBE_VERSION, "--show-only", "templates/tests/service-answers.yaml",
        "--set", "tests.image=localhost/wget:1"));
    assertThat(run.exit()).as(run.err()).isZero();
    Map<String, Object> pod = HelmChart.byKey(run.out()).get("Pod/icr-injector/icr-injector-test-service");
    assertThat(at(pod, "metadata").get("annotations").toString()).contains("helm.sh/hook=test");
    assertThat(at(pod, "spec").get("containers").toString()).contains("image=localhost/wget:1",
        "http://$(ICR_INJECTOR_SERVICE_HOST):$(ICR_INJECTOR_SERVICE_PORT_METRICS)/q/health/ready");
    assertThat(at(pod, "spec").get("enableServiceLinks")).isEqualTo(true);
  }

  @Test
  void helmLintPasses() {
    HelmChart.Run run = HelmChart.helm(List.of("lint", "--strict", "--kube-version", HelmChart.KUBE_VERSION, HelmChart.CHART));
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

  /** Both renders hold the same objects and, once normalised, the same content. */
  static void assertSameInstall(Map<String, Map<String, Object>> chart, Map<String, Map<String, Object>> kustomize) {
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
   * </ul>
   */
  @SuppressWarnings("unchecked")
  static void normalise(Map<String, Object> object) {
    Map<String, Object> labels = (Map<String, Object>) at(object, "metadata").get("labels");
    assertThat(labels).as(HelmChart.key(object)).containsKeys(HELM_LABELS.toArray(String[]::new));
    labels.keySet().removeAll(HELM_LABELS);
    if ("Deployment".equals(object.get("kind"))) {
      List<Map<String, Object>> env = (List<Map<String, Object>>) container(object).get("env");
      assertThat(env).contains(Map.of("name", "ICR_REWRITES", "value", DEFAULT_REWRITES),
          Map.of("name", "ICR_PULL_SECRET_RULES", "value", DEFAULT_PULL_SECRET_RULES));
      env.removeIf(e -> Set.of("ICR_REWRITES", "ICR_PULL_SECRET_RULES").contains(e.get("name")));
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> at(Map<String, Object> object, String field) {
    return (Map<String, Object>) object.get(field);
  }

  static Map<String, Object> podSpec(Map<String, Map<String, Object>> chart) {
    return at(at(at(chart.get("Deployment/icr-injector/icr-injector"), "spec"), "template"), "spec");
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> container(Map<String, Object> deployment) {
    return ((List<Map<String, Object>>) at(at(at(deployment, "spec"), "template"), "spec").get("containers")).get(0);
  }

  @SuppressWarnings("unchecked")
  static Map<String, String> env(Map<String, Map<String, Object>> chart) {
    Map<String, String> env = new java.util.HashMap<>();
    for (Map<String, Object> e : (List<Map<String, Object>>) container(chart.get("Deployment/icr-injector/icr-injector")).get("env")) {
      if (e.get("value") != null) {
        env.put((String) e.get("name"), (String) e.get("value"));
      }
    }
    return env;
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> webhookList(Map<String, Map<String, Object>> chart) {
    return (List<Map<String, Object>>) chart.get("MutatingWebhookConfiguration//icr-injector").get("webhooks");
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
