package io.icrinjector.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.smallrye.config.WithDefault;
import org.junit.jupiter.api.Test;

/** The write-limit rules checked at start-up, one case per rule, and the defaults pass them. */
class WriteLimitsTest {

  private static String defaultOf(String method) throws NoSuchMethodException {
    return IcrConfig.SecretCopy.class.getMethod(method).getAnnotation(WithDefault.class).value();
  }

  @Test
  void theDefaultsAreSound() throws Exception {
    assertThat(defaultOf("writesPerSecond")).isEqualTo("20");
    assertThat(defaultOf("writeBurst")).isEqualTo("50");
    assertThat(
            WriteLimits.problems(
                Double.parseDouble(defaultOf("writesPerSecond")),
                Integer.parseInt(defaultOf("writeBurst")),
                defaultOf("leaseName")))
        .isEmpty();
  }

  @Test
  void eachBrokenRuleNamesItsProperty() {
    assertThat(WriteLimits.problems(0, 50, "l"))
        .singleElement()
        .asString()
        .startsWith("icr.secret-copy.writes-per-second=0.0 must be above 0");
    assertThat(WriteLimits.problems(Double.NaN, 50, "l"))
        .singleElement()
        .asString()
        .startsWith("icr.secret-copy.writes-per-second=NaN");
    assertThat(WriteLimits.problems(2000, 50, "l"))
        .singleElement()
        .asString()
        .contains("at most 1000");
    assertThat(WriteLimits.problems(20, 0, "l"))
        .singleElement()
        .asString()
        .startsWith("icr.secret-copy.write-burst=0 must be at least 1");
    assertThat(WriteLimits.problems(20, 50, "Rotation_Lease"))
        .singleElement()
        .asString()
        .startsWith("icr.secret-copy.lease-name=Rotation_Lease");
    assertThat(WriteLimits.problems(-1, -1, "")).hasSize(3);
  }
}
