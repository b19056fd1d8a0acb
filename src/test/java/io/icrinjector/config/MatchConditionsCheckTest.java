package io.icrinjector.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.icrinjector.engine.RewriteRules;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The start-up check of the webhooks' matchConditions against the app's rules, on the fabric8 mock API server: the
 * configuration read by the app's own client, what it logs, and the gauge.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class MatchConditionsCheckTest {

  static final String NAME = "icr-injector";
  static final String PATH =
      "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/" + NAME;

  @KubernetesTestServer KubernetesServer server;

  @Inject MatchConditionsCheck check;

  @Inject RewriteRules rules;

  @Inject MeterRegistry registry;

  final List<LogRecord> records = new CopyOnWriteArrayList<>();
  final Handler capture =
      new Handler() {
        @Override
        public void publish(LogRecord r) {
          records.add(r);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };

  @BeforeEach
  void listen() throws Exception {
    // The start's own check runs once, a moment after start: let it finish before capturing.
    check.startCheck().get(30, TimeUnit.SECONDS);
    Logger.getLogger(MatchConditionsCheck.class.getName()).addHandler(capture);
    server
        .getClient()
        .admissionRegistration()
        .v1()
        .mutatingWebhookConfigurations()
        .withName(NAME)
        .delete();
  }

  @AfterEach
  void stopListening() {
    Logger.getLogger(MatchConditionsCheck.class.getName()).removeHandler(capture);
  }

  @Test
  void conditionsThatSkipAConfiguredHostAreAnErrorNamingHostWebhookAndFix() {
    String generated = MatchConditions.expression(rules);
    String lacksIcrIo = generated.replace("\"icr.io\", ", "");
    register(
        configuration(
            List.of("mutate.icr-injector.io", lacksIcrIo),
            List.of("audit.icr-injector.io", generated)));

    assertThat(check.check()).containsExactly("icr.io");

    assertThat(messages(Level.SEVERE))
        .singleElement()
        .asString()
        .contains(
            "webhook mutate.icr-injector.io",
            "MutatingWebhookConfiguration icr-injector",
            "skips pods on [icr.io]")
        .contains(
            "Fix: add [icr.io] to the host list of the expression, or regenerate it", generated);
    assertThat(gauge()).isEqualTo(1.0);
  }

  @Test
  void theGeneratedConditionsOrNoneAreFine() {
    register(
        configuration(
            List.of("mutate.icr-injector.io", MatchConditions.expression(rules)),
            List.of("audit.icr-injector.io", "")));

    assertThat(check.check()).isEmpty();
    assertThat(messages(Level.WARNING)).isEmpty();
    assertThat(gauge()).isEqualTo(0.0);
  }

  @Test
  void forbiddenIsAWarningThatSaysHowToGrantIt() {
    server
        .expect()
        .get()
        .withPath(PATH)
        .andReturn(
            403,
            new StatusBuilder()
                .withStatus("Failure")
                .withCode(403)
                .withReason("Forbidden")
                .withMessage(
                    "mutatingwebhookconfigurations.admissionregistration.k8s.io \"icr-injector\" "
                        + "is forbidden")
                .build())
        .once();

    assertThat(check.check()).isEmpty();
    assertThat(messages(Level.WARNING))
        .singleElement()
        .asString()
        .contains(
            "could not check the matchConditions",
            "HTTP 403",
            "grant the app's ServiceAccount get on mutatingwebhookconfigurations with resourceNames [icr-injector]");
    assertThat(messages(Level.SEVERE)).isEmpty();
  }

  @Test
  void aMissingConfigurationIsAWarningNamingTheSetting() {
    assertThat(check.check()).isEmpty();
    assertThat(messages(Level.WARNING))
        .singleElement()
        .asString()
        .contains(
            "MutatingWebhookConfiguration icr-injector does not exist",
            "icr.webhook-configuration-name");
  }

  /** Webhooks as name and expression; an empty expression is a webhook without matchConditions. */
  @SafeVarargs
  static MutatingWebhookConfiguration configuration(List<String>... webhooks) {
    MutatingWebhookConfigurationBuilder b =
        new MutatingWebhookConfigurationBuilder().withNewMetadata().withName(NAME).endMetadata();
    for (List<String> w : webhooks) {
      var webhook =
          b.addNewWebhook()
              .withName(w.get(0))
              .withAdmissionReviewVersions("v1")
              .withSideEffects("None")
              .withNewClientConfig()
              .withUrl("https://127.0.0.1:1/mutate")
              .endClientConfig();
      if (!w.get(1).isEmpty()) {
        webhook
            .addNewMatchCondition()
            .withName(MatchConditions.NAME)
            .withExpression(w.get(1))
            .endMatchCondition();
      }
      webhook.endWebhook();
    }
    return b.build();
  }

  void register(MutatingWebhookConfiguration config) {
    server.getClient().resource(config).create();
  }

  List<String> messages(Level atLeast) {
    return records.stream()
        .filter(r -> r.getLevel().intValue() >= atLeast.intValue())
        .map(r -> r instanceof ExtLogRecord e ? e.getFormattedMessage() : r.getMessage())
        .toList();
  }

  double gauge() {
    return registry.get("icr_injector_match_conditions_missing_hosts").gauge().value();
  }
}
