package io.icrinjector.config;

import io.fabric8.kubernetes.api.model.admissionregistration.v1.MatchCondition;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.icrinjector.engine.RewriteRules;
import io.icrinjector.kube.KubeErrors;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.jboss.logging.Logger;

/**
 * Once, {@value #START_DELAY_MILLIS} ms after start, reads the app's own MutatingWebhookConfiguration and says
 * loudly (ERROR and the gauge {@code icr_injector_match_conditions_missing_hosts}) when a webhook's
 * {@code matchConditions} would keep from it pods on a host the rules handle. Runs on a thread of its own: it
 * never delays readiness and never fails start-up; a webhook without matchConditions is called for every pod and
 * is fine. The delay keeps this diagnostic (the client's first request and the model classes it reads: about
 * 0.14 s of CPU) off the two cores while the start serves its first reviews (docs/performance.md).
 */
@Singleton
public class MatchConditionsCheck {

  private static final Logger LOG = Logger.getLogger(MatchConditionsCheck.class);

  /** How long after start the one check waits. */
  static final long START_DELAY_MILLIS = 2_000;

  private final KubernetesClient client;
  private final RewriteRules rules;
  private final String name;

  /** Hosts missing from some webhook's conditions; NaN until a check has read the configuration. */
  private final AtomicReference<Double> missing = new AtomicReference<>(Double.NaN);

  private final CompletableFuture<Void> startCheck = new CompletableFuture<>();

  /** CDI constructor. */
  MatchConditionsCheck(
      KubernetesClient client, RewriteRules rules, IcrConfig config, MeterRegistry registry) {
    this.client = client;
    this.rules = rules;
    this.name = config.webhookConfigurationName();
    Gauge.builder("icr_injector_match_conditions_missing_hosts", missing, AtomicReference::get)
        .description(
            "Hosts the rules handle that the webhooks' matchConditions skip (NaN: not checked)")
        .register(registry);
  }

  void onStart(@Observes StartupEvent event) {
    Thread thread =
        new Thread(
            () -> {
              try {
                Thread.sleep(START_DELAY_MILLIS);
                check();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              } finally {
                startCheck.complete(null);
              }
            },
            "icr-match-conditions-check");
    thread.setDaemon(true);
    thread.start();
  }

  /** Completes when the start's own check has run (or was interrupted): tests that read the log wait for it. */
  CompletableFuture<Void> startCheck() {
    return startCheck;
  }

  /** Reads the configuration and reports; returns the hosts some webhook skips. */
  List<String> check() {
    MutatingWebhookConfiguration config;
    try {
      config =
          client.admissionRegistration().v1().mutatingWebhookConfigurations().withName(name).get();
    } catch (
        RuntimeException
            e) { // fabric8 wraps refused connections and timeouts in KubernetesClientException too
      LOG.warnf(
          "could not check the matchConditions of MutatingWebhookConfiguration %s (%s): grant the app's "
              + "ServiceAccount get on mutatingwebhookconfigurations with resourceNames [%s] (deploy/base/rbac.yaml does), "
              + "or set icr.webhook-configuration-name to the configuration's name",
          name, KubeErrors.describe(e), name);
      return List.of();
    }
    if (config == null) {
      LOG.warnf(
          "could not check the matchConditions: MutatingWebhookConfiguration %s does not exist; set "
              + "icr.webhook-configuration-name to the name the webhook is registered under",
          name);
      return List.of();
    }
    TreeSet<String> all = new TreeSet<>();
    for (MutatingWebhook webhook : config.getWebhooks()) {
      for (MatchCondition condition : webhook.getMatchConditions()) {
        report(webhook.getName(), condition, all);
      }
    }
    missing.set((double) all.size());
    return List.copyOf(all);
  }

  private void report(String webhook, MatchCondition condition, TreeSet<String> all) {
    if (MatchConditions.needlesOf(condition.getExpression()) == null) {
      LOG.warnf(
          "could not check matchCondition %s of webhook %s in MutatingWebhookConfiguration %s: its expression "
              + "does not have the generated shape (a list of hosts before .exists(h, c.image...)); make sure it lets "
              + "through every image on %s",
          condition.getName(), webhook, name, MatchConditions.needles(rules));
      return;
    }
    List<String> skipped = MatchConditions.missing(rules, condition.getExpression());
    if (!skipped.isEmpty()) {
      all.addAll(skipped);
      LOG.errorf(
          "matchCondition %s of webhook %s in MutatingWebhookConfiguration %s skips pods on %s, which the "
              + "rules (icr.rewrites, icr.pull-secret-rules) handle: those pods are created unchanged. Fix: add %s to the "
              + "host list of the expression, or regenerate it from the configuration (the Helm chart does); the expression "
              + "for this configuration is: %s",
          condition.getName(), webhook, name, skipped, skipped, MatchConditions.expression(rules));
    }
  }
}
