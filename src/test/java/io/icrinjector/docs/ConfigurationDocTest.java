package io.icrinjector.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.icrinjector.config.IcrConfig;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The {@code icr.*} table of {@code docs/configuration.md} is {@link IcrConfig}: every key the mapping has (nested
 * groups included, named as SmallRye names them), its environment variable and its {@code @WithDefault} ("unset"
 * where there is none), and no key the mapping does not have.
 */
class ConfigurationDocTest {

  private static final Pattern ROW =
      Pattern.compile(
          "^\\| `(icr\\.[^`]+)` \\| `([^`]+)` \\| (`[^`]*`|unset) \\| .+ \\|$", Pattern.MULTILINE);

  @Test
  void theTableIsIcrConfig() throws Exception {
    Map<String, String> documented = new TreeMap<>();
    Matcher m = ROW.matcher(Files.readString(Path.of("docs/configuration.md")));
    while (m.find()) {
      assertThat(m.group(2))
          .as("environment variable of %s", m.group(1))
          .isEqualTo(environmentName(m.group(1)));
      String value =
          m.group(3).equals("unset") ? "unset" : m.group(3).substring(1, m.group(3).length() - 1);
      assertThat(documented.put(m.group(1), value)).as("%s documented twice", m.group(1)).isNull();
    }
    assertThat(documented).isEqualTo(keys());
  }

  @Test
  void theMappingIsReadWithNestedGroupsAndOptionalKeys() {
    Map<String, String> keys = keys();
    assertThat(keys)
        .containsEntry("icr.secret-copy.webhook-timeout", "5s")
        .containsEntry(
            "icr.pull-secret-rules",
            "icr.io=all-icr-io,*.icr.io=all-icr-io,private.*.icr.io=all-icr-io")
        .containsEntry("icr.webhook-namespace", "unset")
        .containsEntry("icr.max-bytes-in-flight", "24M")
        .doesNotContainKeys("icr.secret-copy", "icr.management", "icr.report");
  }

  /** Every key of {@link IcrConfig} with its default. */
  static Map<String, String> keys() {
    Map<String, String> keys = new TreeMap<>();
    collect(IcrConfig.class.getAnnotation(ConfigMapping.class).prefix(), IcrConfig.class, keys);
    return keys;
  }

  private static void collect(String prefix, Class<?> group, Map<String, String> keys) {
    for (Method method : group.getDeclaredMethods()) {
      if (method.isDefault() || java.lang.reflect.Modifier.isStatic(method.getModifiers())) {
        continue;
      }
      WithName name = method.getAnnotation(WithName.class);
      String key = prefix + "." + (name != null ? name.value() : kebab(method.getName()));
      Class<?> type = method.getReturnType();
      if (type.isInterface() && type.getDeclaringClass() == IcrConfig.class) {
        collect(key, type, keys);
      } else {
        WithDefault value = method.getAnnotation(WithDefault.class);
        keys.put(key, value == null ? "unset" : value.value());
      }
    }
  }

  static String kebab(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
  }

  static String environmentName(String key) {
    return key.replaceAll("[.-]", "_").toUpperCase(Locale.ROOT);
  }
}
