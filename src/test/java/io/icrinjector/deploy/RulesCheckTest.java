package io.icrinjector.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.icrinjector.testing.ChildEnv;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The alert rules pass what {@code promtool check rules} checks (strict rule-file fields, every expression parsed by
 * Prometheus's own PromQL parser, every label and annotation template parsed), with {@code rules-check}: a small Go
 * program over the Prometheus module's {@code rulefmt} that {@code make controlplane} builds
 * ({@code src/test/promql}). The chart renders the same groups ({@code HelmChartTest} compares them).
 */
class RulesCheckTest {

  @TempDir Path tmp;

  @Test
  void theMonitoringComponentsRulesPass() throws Exception {
    Run run =
        check(
            groups(
                Manifests.render("deploy/components/monitoring").stream()
                    .filter(o -> o.getKind().equals("PrometheusRule"))
                    .map(GenericKubernetesResource.class::cast)
                    .findFirst()
                    .orElseThrow()));
    assertThat(run.exit()).as(run.out()).isZero();
    assertThat(run.out()).contains("SUCCESS", "13 rules found");
  }

  @Test
  void aBrokenExpressionOrTemplateFails() throws Exception {
    Run expression =
        check(
            Map.of(
                "groups",
                List.of(
                    Map.of(
                        "name",
                        "g",
                        "rules",
                        List.of(Map.of("alert", "A", "expr", "time() - x >> 1800"))))));
    assertThat(expression.exit()).isNotZero();
    assertThat(expression.out()).contains("could not parse expression");
    Run template =
        check(
            Map.of(
                "groups",
                List.of(
                    Map.of(
                        "name",
                        "g",
                        "rules",
                        List.of(
                            Map.of(
                                "alert",
                                "A",
                                "expr",
                                "up == 0",
                                "annotations",
                                Map.of("summary", "{{ $labels.pod ")))))));
    assertThat(template.exit()).isNotZero();
    assertThat(template.out()).contains("annotation \"summary\"");
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> groups(GenericKubernetesResource rule) {
    return Map.of(
        "groups", ((Map<String, Object>) rule.getAdditionalProperties().get("spec")).get("groups"));
  }

  record Run(int exit, String out) {}

  Run check(Map<String, Object> rules) throws IOException, InterruptedException {
    Path file = tmp.resolve("rules-" + System.nanoTime() + ".yaml");
    Files.writeString(file, Serialization.asYaml(rules));
    Process p =
        ChildEnv.process(List.of(binary().toString(), file.toString()))
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("rules-check finished").isTrue();
    return new Run(p.exitValue(), out);
  }

  /** The rules-check of src/test/promql/go.mod's Prometheus version, or a failure saying how to build it. */
  static Path binary() throws IOException {
    String version =
        Files.readAllLines(Path.of("src/test/promql/go.mod")).stream()
            .map(String::strip)
            .filter(l -> l.startsWith("github.com/prometheus/prometheus "))
            .map(l -> l.split("\\s+")[1])
            .findFirst()
            .orElseThrow();
    String configured =
        System.getProperty("icr.controlplane.dir", System.getenv("ICR_CONTROLPLANE_DIR"));
    Path root =
        configured != null && !configured.isBlank()
            ? Paths.get(configured)
            : Paths.get(System.getProperty("user.home"), ".cache", "icr-injector", "controlplane");
    Path binary = root.resolve("rules-check").resolve(version).resolve("rules-check");
    if (!Files.isExecutable(binary)) {
      throw new AssertionError(
          "no rules-check at "
              + binary
              + ": run `make controlplane` (src/test/promql/build.sh builds it)");
    }
    return binary;
  }
}
