package io.icrinjector.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBinding;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.Variable;
import io.icrinjector.engine.DefaultRules;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The optional components of {@code deploy/components} agree with the install they sit next to: the safety net
 * watches exactly the pods the mutate webhook is sent and the hosts the application rewrites by default; the
 * ServiceMonitor selects the webhook's Service and names one of its ports. (That the API server accepts and runs
 * them is {@code io.icrinjector.e2e.OptionalComponentsIT}.)
 */
class OptionalComponentsTest {

  private static final Pattern QUOTED = Pattern.compile("'([^']*)'");

  @Test
  void safetyNetHostListIsTheDefaultRewriteTable() {
    ValidatingAdmissionPolicy policy =
        Manifests.one(
            Manifests.render("deploy/components/safety-net"),
            ValidatingAdmissionPolicy.class,
            "icr-injector-safety-net");
    String list =
        policy.getSpec().getVariables().stream()
            .filter(v -> v.getName().equals("deprecatedHosts"))
            .map(Variable::getExpression)
            .findFirst()
            .orElseThrow(() -> new AssertionError("no variable deprecatedHosts"));
    Matcher m = QUOTED.matcher(list);
    List<String> hosts = new java.util.ArrayList<>();
    while (m.find()) {
      hosts.add(m.group(1));
    }
    assertThat(hosts)
        .as("policy.yaml deprecatedHosts vs IcrConfig's default icr.rewrites")
        .containsExactlyInAnyOrderElementsOf(DefaultRules.of().rewrites().keySet());
  }

  @Test
  void safetyNetSelectsThePodsTheMutateWebhookIsSentAndOnlyWarns() {
    List<HasMetadata> net = Manifests.render("deploy/components/safety-net");
    ValidatingAdmissionPolicy policy =
        Manifests.one(net, ValidatingAdmissionPolicy.class, "icr-injector-safety-net");
    MutatingWebhook mutate =
        Manifests.one(
                Manifests.render("deploy"), MutatingWebhookConfiguration.class, "icr-injector")
            .getWebhooks()
            .stream()
            .filter(w -> w.getName().equals("mutate.icr-injector.io"))
            .findFirst()
            .orElseThrow();
    assertThat(policy.getSpec().getMatchConstraints().getNamespaceSelector())
        .isEqualTo(mutate.getNamespaceSelector());
    assertThat(policy.getSpec().getMatchConstraints().getObjectSelector())
        .isEqualTo(mutate.getObjectSelector());
    assertThat(policy.getSpec().getFailurePolicy()).isEqualTo("Ignore");
    ValidatingAdmissionPolicyBinding binding =
        Manifests.one(net, ValidatingAdmissionPolicyBinding.class, "icr-injector-safety-net");
    assertThat(binding.getSpec().getPolicyName()).isEqualTo("icr-injector-safety-net");
    assertThat(binding.getSpec().getValidationActions()).containsExactly("Warn", "Audit");
  }

  @Test
  @SuppressWarnings("unchecked")
  void serviceMonitorSelectsTheWebhookServiceByAPortItHas() {
    GenericKubernetesResource monitor =
        Manifests.generic(
            Manifests.render("deploy/components/monitoring"), "ServiceMonitor", "icr-injector");
    Service service = Manifests.one(Manifests.render("deploy"), Service.class, "icr-injector");
    Map<String, Object> spec = (Map<String, Object>) monitor.getAdditionalProperties().get("spec");
    Map<String, String> selector =
        (Map<String, String>) ((Map<String, Object>) spec.get("selector")).get("matchLabels");
    assertThat(service.getMetadata().getLabels()).containsAllEntriesOf(selector);
    assertThat(monitor.getMetadata().getNamespace())
        .isEqualTo(service.getMetadata().getNamespace());
    List<Map<String, Object>> endpoints = (List<Map<String, Object>>) spec.get("endpoints");
    assertThat(endpoints).isNotEmpty();
    for (Map<String, Object> e : endpoints) {
      assertThat(service.getSpec().getPorts())
          .extracting(ServicePort::getName)
          .contains((String) e.get("port"));
    }
  }

  /**
   * Every alert names its runbook as {@code runbook_url} (the label Alertmanager and Grafana link), pointing at an
   * anchor that docs/operating.md has; the alerts issue 21 asked for are there.
   */
  @Test
  @SuppressWarnings("unchecked")
  void everyAlertLinksItsRunbookSectionInOperatingMd() throws Exception {
    GenericKubernetesResource rule =
        Manifests.generic(
            Manifests.render("deploy/components/monitoring"), "PrometheusRule", "icr-injector");
    String operating = java.nio.file.Files.readString(java.nio.file.Path.of("docs/operating.md"));
    List<String> alerts = new java.util.ArrayList<>();
    for (Map<String, Object> group :
        (List<Map<String, Object>>)
            ((Map<String, Object>) rule.getAdditionalProperties().get("spec")).get("groups")) {
      for (Map<String, Object> r : (List<Map<String, Object>>) group.get("rules")) {
        String alert = (String) r.get("alert");
        alerts.add(alert);
        Map<String, Object> annotations = (Map<String, Object>) r.get("annotations");
        String anchor = alert.toLowerCase(java.util.Locale.ROOT);
        assertThat(annotations)
            .as(alert)
            .doesNotContainKey("runbook")
            .containsEntry("runbook_url", "docs/operating.md#" + anchor);
        assertThat(operating)
            .as("docs/operating.md anchor for " + alert)
            .contains("<a id=\"" + anchor + "\"></a>");
      }
    }
    assertThat(alerts)
        .doesNotHaveDuplicates()
        .contains(
            "IcrInjectorMatchConditionsMissingHosts",
            "IcrInjectorBurnDownStale",
            "IcrInjectorMetricsAbsent");
    assertThat(rule.getAdditionalProperties().get("spec").toString())
        .contains(
            "icr_injector_match_conditions_missing_hosts) > 0",
            "time() - icr_injector_deprecated_images_last_refresh_seconds",
            "absent(icr_injector_reviews_in_flight_bytes{namespace=\"icr-injector\"})")
        .doesNotContain("exported_namespace");
  }

  /** The burn-down gauge's own {@code namespace} label survives the scrape (else it arrives as exported_namespace). */
  @Test
  @SuppressWarnings("unchecked")
  void theServiceMonitorHonoursTheGaugesNamespaceLabel() {
    GenericKubernetesResource monitor =
        Manifests.generic(
            Manifests.render("deploy/components/monitoring"), "ServiceMonitor", "icr-injector");
    List<Map<String, Object>> endpoints =
        (List<Map<String, Object>>)
            ((Map<String, Object>) monitor.getAdditionalProperties().get("spec")).get("endpoints");
    assertThat(endpoints).allSatisfy(e -> assertThat(e).containsEntry("honorLabels", true));
  }

  @Test
  void flowSchemaSendsTheWebhooksServiceAccountToItsOwnLevelAndItsLeaseAhead() {
    List<HasMetadata> apf = Manifests.render("deploy/components/flowschema");
    io.fabric8.kubernetes.api.model.ServiceAccount account =
        Manifests.one(
            Manifests.render("deploy"),
            io.fabric8.kubernetes.api.model.ServiceAccount.class,
            "icr-injector");
    io.fabric8.kubernetes.api.model.rbac.Role leaseRole =
        Manifests.one(
            Manifests.render("deploy"),
            io.fabric8.kubernetes.api.model.rbac.Role.class,
            "icr-injector-rotation-lease");
    io.fabric8.kubernetes.api.model.flowcontrol.v1.FlowSchema all =
        Manifests.one(
            apf, io.fabric8.kubernetes.api.model.flowcontrol.v1.FlowSchema.class, "icr-injector");
    io.fabric8.kubernetes.api.model.flowcontrol.v1.FlowSchema lease =
        Manifests.one(
            apf,
            io.fabric8.kubernetes.api.model.flowcontrol.v1.FlowSchema.class,
            "icr-injector-rotation-lease");
    io.fabric8.kubernetes.api.model.flowcontrol.v1.PriorityLevelConfiguration level =
        Manifests.one(
            apf,
            io.fabric8.kubernetes.api.model.flowcontrol.v1.PriorityLevelConfiguration.class,
            "icr-injector");

    for (var schema : List.of(all, lease)) {
      assertThat(schema.getSpec().getRules())
          .singleElement()
          .satisfies(
              r ->
                  assertThat(r.getSubjects())
                      .singleElement()
                      .satisfies(
                          s -> {
                            assertThat(s.getKind()).isEqualTo("ServiceAccount");
                            assertThat(
                                    s.getServiceAccount().getName()
                                        + "@"
                                        + s.getServiceAccount().getNamespace())
                                .isEqualTo(
                                    account.getMetadata().getName()
                                        + "@"
                                        + account.getMetadata().getNamespace());
                          }));
    }
    assertThat(all.getSpec().getPriorityLevelConfiguration().getName())
        .isEqualTo(level.getMetadata().getName());
    // Ahead of the schemas every other ServiceAccount falls into (service-accounts 9000,
    // global-default 9900).
    assertThat(all.getSpec().getMatchingPrecedence()).isLessThan(9000);
    assertThat(level.getSpec().getType()).isEqualTo("Limited");
    assertThat(level.getSpec().getLimited().getLimitResponse().getType()).isEqualTo("Queue");
    // The Lease is matched before the rest, in the namespace its Role grants, and goes to
    // leader-election.
    assertThat(lease.getSpec().getMatchingPrecedence())
        .isLessThan(all.getSpec().getMatchingPrecedence());
    assertThat(lease.getSpec().getPriorityLevelConfiguration().getName())
        .isEqualTo("leader-election");
    assertThat(lease.getSpec().getRules().get(0).getResourceRules())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getApiGroups()).containsExactly("coordination.k8s.io");
              assertThat(r.getResources()).containsExactly("leases");
              assertThat(r.getNamespaces()).containsExactly(leaseRole.getMetadata().getNamespace());
            });
  }
}
