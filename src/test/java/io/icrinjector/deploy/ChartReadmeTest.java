package io.icrinjector.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The values table of {@code deploy/helm/icr-injector/README.md} is {@code values.yaml}: every key (a path to a leaf;
 * an empty map or any list is a leaf) with its default, in JSON, and nothing else.
 */
class ChartReadmeTest {

  private static final Pattern ROW =
      Pattern.compile("^\\| `([^`]+)` \\| `(.*?)` \\| .+ \\|$", Pattern.MULTILINE);

  @Test
  void theValuesTableIsValuesYaml() throws Exception {
    Map<String, String> table = new LinkedHashMap<>();
    Matcher m = ROW.matcher(Files.readString(Path.of(HelmChart.CHART, "README.md")));
    while (m.find()) {
      assertThat(table.put(m.group(1), m.group(2)))
          .as("key %s twice in the README", m.group(1))
          .isNull();
    }
    assertThat(table).as("the README's values table").hasSizeGreaterThan(20);
    assertThat(table).isEqualTo(leaves(Files.readString(Path.of(HelmChart.CHART, "values.yaml"))));
  }

  @Test
  void aKeyMissingFromTheTableIsFound() {
    Map<String, String> leaves = leaves("a:\n  b: 1\n  c: {}\nd: [x]\n");
    assertThat(leaves)
        .containsExactly(Map.entry("a.b", "1"), Map.entry("a.c", "{}"), Map.entry("d", "[\"x\"]"));
  }

  /** Every leaf of a YAML document as dotted key to compact JSON. */
  @SuppressWarnings("unchecked")
  static Map<String, String> leaves(String yaml) {
    Map<String, String> out = new LinkedHashMap<>();
    flatten("", Serialization.unmarshal(yaml, Map.class), out);
    return out;
  }

  @SuppressWarnings("unchecked")
  private static void flatten(String prefix, Object value, Map<String, String> out) {
    if (value instanceof Map<?, ?> map && !map.isEmpty()) {
      map.forEach((k, v) -> flatten(prefix.isEmpty() ? k.toString() : prefix + "." + k, v, out));
    } else {
      out.put(prefix, Serialization.asJson(value));
    }
  }
}
