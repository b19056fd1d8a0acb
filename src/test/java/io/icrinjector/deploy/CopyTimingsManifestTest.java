package io.icrinjector.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.icrinjector.config.CopyTimings;
import io.icrinjector.config.IcrConfig;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The secret-copy timings the installed webhook runs with (the app's defaults, or what the Deployment sets) keep the
 * rules checked at start-up, and the app's {@code icr.secret-copy.webhook-timeout} is the {@code timeoutSeconds} that
 * each rendering actually gives its webhooks: a budget checked against the wrong timeout proves nothing.
 */
class CopyTimingsManifestTest {

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"deploy", "deploy/overlays/fail-closed"})
  void theInstalledTimingsAreSoundForTheWebhooksTimeout(String dir) throws Exception {
    List<HasMetadata> objects = Manifests.render(dir);
    Container app =
        Manifests.one(objects, Deployment.class, "icr-injector")
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .stream()
            .filter(c -> c.getName().equals("icr-injector"))
            .findFirst()
            .orElseThrow();
    Map<String, String> env =
        app.getEnv().stream()
            .filter(e -> e.getValue() != null)
            .collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
    Duration budget = setting(env, "budget");
    Duration timeout = setting(env, "webhookTimeout");

    List<MutatingWebhook> webhooks =
        objects.stream()
            .filter(MutatingWebhookConfiguration.class::isInstance)
            .map(MutatingWebhookConfiguration.class::cast)
            .flatMap(c -> c.getWebhooks().stream())
            .toList();
    assertThat(webhooks)
        .isNotEmpty()
        .allSatisfy(
            w ->
                assertThat(Duration.ofSeconds(w.getTimeoutSeconds()))
                    .as("timeoutSeconds of webhook %s", w.getName())
                    .isEqualTo(timeout));
    assertThat(
            CopyTimings.problems(
                budget, setting(env, "initialBackoff"), setting(env, "maxBackoff"), timeout))
        .isEmpty();
  }

  /** {@code icr.secret-copy.<property>} as the Deployment sets it ({@code ICR_SECRET_COPY_...}), else its default. */
  static Duration setting(Map<String, String> env, String property) throws NoSuchMethodException {
    String variable =
        "ICR_SECRET_COPY_" + property.replaceAll("([A-Z])", "_$1").toUpperCase(Locale.ROOT);
    String value =
        env.getOrDefault(
            variable,
            IcrConfig.SecretCopy.class
                .getMethod(property)
                .getAnnotation(WithDefault.class)
                .value());
    return Duration.parse("PT" + value.toUpperCase(Locale.ROOT));
  }
}
