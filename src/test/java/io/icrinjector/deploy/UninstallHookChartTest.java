package io.icrinjector.deploy;

import static io.icrinjector.deploy.HelmChartTest.at;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The chart's pre-delete hook (templates/uninstall.yaml): {@code helm uninstall} deletes the webhook registration
 * before anything else, with an account of the hook's own, and deletes the copies only when
 * {@code cleanup.onUninstall} asks. Every render also goes through kubeconform ({@link HelmChart#template}).
 */
class UninstallHookChartTest {

  static final String JOB = "Job/icr-injector/icr-injector-uninstall";
  static final String ROLE = "ClusterRole//icr-injector-uninstall";

  @Test
  void byDefaultTheHookDeletesTheRegistrationOnlyWithAnAccountMadeBeforeIt() {
    Map<String, Map<String, Object>> chart = HelmChart.template();
    for (String key :
        List.of(
            "ServiceAccount/icr-injector/icr-injector-uninstall",
            ROLE,
            "ClusterRoleBinding//icr-injector-uninstall",
            JOB)) {
      assertThat(annotations(chart.get(key)))
          .as(key)
          .containsEntry("helm.sh/hook", "pre-delete")
          .containsEntry("helm.sh/hook-delete-policy", "before-hook-creation,hook-succeeded");
    }
    // helm runs a phase's hooks in weight order, and waits for the Job: account, role and binding
    // exist first.
    assertThat(weight(chart, "ServiceAccount/icr-injector/icr-injector-uninstall"))
        .isLessThan(weight(chart, JOB));
    assertThat(weight(chart, ROLE))
        .isLessThan(weight(chart, "ClusterRoleBinding//icr-injector-uninstall"));
    assertThat(weight(chart, "ClusterRoleBinding//icr-injector-uninstall"))
        .isLessThan(weight(chart, JOB));

    Map<String, Object> pod = podSpec(chart);
    assertThat(pod.get("serviceAccountName")).isEqualTo("icr-injector-uninstall");
    assertThat(pod.get("initContainers")).isNull();
    assertThat(containers(pod, "containers"))
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.get("args")).isEqualTo(List.of("unregister"));
              assertThat(c.get("image")).isEqualTo("icr-injector:0.1.0");
            });
    assertThat(rules(chart))
        .singleElement()
        .isEqualTo(
            Map.of(
                "apiGroups",
                List.of("admissionregistration.k8s.io"),
                "resources",
                List.of("mutatingwebhookconfigurations"),
                "resourceNames",
                List.of("icr-injector"),
                "verbs",
                List.of("get", "delete")));
  }

  @Test
  void cleanupOnUninstallDeletesTheCopiesAfterTheRegistrationByName() {
    Map<String, Map<String, Object>> chart =
        HelmChart.template(
            "--set",
            "cleanup.onUninstall=true",
            "--set",
            "rules.pullSecretRules={icr.io=all-icr-io,*.icr.io=all-icr-io,quay.io/acme=acme-pull}",
            "--set",
            "sourceNamespace=pull-secrets",
            "--set",
            "cleanup.timeoutSeconds=120");
    Map<String, Object> pod = podSpec(chart);
    // Containers of a pod start after its init containers have succeeded: the copies go once
    // nothing makes new ones.
    assertThat(containers(pod, "initContainers"))
        .extracting(c -> c.get("args"))
        .containsExactly(List.of("unregister"));
    assertThat(containers(pod, "containers"))
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.get("args")).isEqualTo(List.of("cleanup"));
              assertThat(c.get("env").toString())
                  .contains(
                      "name=ICR_SOURCE_NAMESPACE, value=pull-secrets",
                      "name=ICR_PULL_SECRET_RULES, value=icr.io=all-icr-io,*.icr.io=all-icr-io,quay.io/acme=acme-pull");
            });
    assertThat(at(chart.get(JOB), "spec").get("activeDeadlineSeconds")).isEqualTo(120);
    assertThat(rules(chart))
        .contains(
            Map.of(
                "apiGroups",
                List.of(""),
                "resources",
                List.of("secrets"),
                "resourceNames",
                List.of("acme-pull", "all-icr-io"),
                "verbs",
                List.of("list", "delete")));
  }

  @Test
  void theWebhooksOwnRoleNeverGainsDelete() {
    Map<String, Map<String, Object>> chart =
        HelmChart.template("--set", "cleanup.onUninstall=true");
    assertThat(chart.get("ClusterRole//icr-injector").get("rules").toString())
        .contains("secrets")
        .doesNotContain("delete");
  }

  @Test
  void aTypoInTheCleanupValuesIsRefused() {
    HelmChartTest.assertFails(
        List.of("--set", "cleanup.onUninstal=true"),
        "/cleanup",
        "additional properties 'onUninstal' not allowed");
    HelmChartTest.assertFails(
        List.of("--set", "cleanup.timeoutSeconds=5"), "/cleanup/timeoutSeconds", "minimum");
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> annotations(Map<String, Object> object) {
    return (Map<String, Object>) at(object, "metadata").get("annotations");
  }

  static int weight(Map<String, Map<String, Object>> chart, String key) {
    return Integer.parseInt((String) annotations(chart.get(key)).get("helm.sh/hook-weight"));
  }

  static Map<String, Object> podSpec(Map<String, Map<String, Object>> chart) {
    return at(at(at(chart.get(JOB), "spec"), "template"), "spec");
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> containers(Map<String, Object> pod, String field) {
    return (List<Map<String, Object>>) pod.get(field);
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> rules(Map<String, Map<String, Object>> chart) {
    return (List<Map<String, Object>>) chart.get(ROLE).get("rules");
  }
}
