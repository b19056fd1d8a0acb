package io.icrinjector.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MatchCondition;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.icrinjector.config.IcrConfig;
import io.icrinjector.config.MatchConditions;
import io.icrinjector.engine.DefaultRules;
import io.smallrye.config.WithDefault;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The matchConditions of every rendering are the ones {@link MatchConditions} generates from the app's default rules
 * (the Deployment sets neither {@code ICR_REWRITES} nor {@code ICR_PULL_SECRET_RULES}), and the app may read the
 * configuration it checks them in at start.
 */
class MatchConditionsManifestTest {

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"deploy", "deploy/overlays/fail-closed"})
  void bothWebhooksCarryTheGeneratedCondition(String dir) throws Exception {
    List<HasMetadata> objects = Manifests.render(dir);
    String name =
        IcrConfig.class
            .getMethod("webhookConfigurationName")
            .getAnnotation(WithDefault.class)
            .value();
    MutatingWebhookConfiguration config =
        Manifests.one(objects, MutatingWebhookConfiguration.class, name);
    String expected = MatchConditions.expression(DefaultRules.of());

    assertThat(config.getWebhooks())
        .hasSize(2)
        .allSatisfy(
            w ->
                assertThat(w.getMatchConditions())
                    .as("matchConditions of %s", w.getName())
                    .singleElement()
                    .satisfies(
                        c -> {
                          assertThat(c.getName()).isEqualTo(MatchConditions.NAME);
                          assertThat(c.getExpression()).isEqualTo(expected);
                        }));
    assertThat(config.getWebhooks())
        .flatExtracting(w -> w.getMatchConditions())
        .extracting(MatchCondition::getExpression)
        .allSatisfy(e -> assertThat(MatchConditions.missing(DefaultRules.of(), e)).isEmpty());

    ClusterRole role = Manifests.one(objects, ClusterRole.class, "icr-injector");
    assertThat(role.getRules())
        .filteredOn(r -> r.getResources().contains("mutatingwebhookconfigurations"))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getApiGroups()).containsExactly("admissionregistration.k8s.io");
              assertThat(r.getVerbs()).containsExactly("get");
              assertThat(r.getResourceNames()).containsExactly(name);
            });
  }
}
