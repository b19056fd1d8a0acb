package io.icrinjector;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * What the start-up line says of a JVM without {@code -XX:AOTCache} (the test JVM); the image's "in use" line is
 * proven by ImageArchiveIT, which runs the image's runtime with its cache.
 */
class AotCacheTest {

  @Test
  void aJvmWithoutTheOptionSaysSoAndNeverClaimsACache() {
    assertThat(ManagementFactory.getRuntimeMXBean().getInputArguments())
        .noneMatch(a -> a.startsWith("-XX:AOTCache"));
    String said = AotCache.describe();
    if (Runtime.version().feature() >= 24) {
      assertThat(said).isEqualTo("no AOT cache (-XX:AOTCache not set)");
    } else {
      assertThat(said).startsWith("no AOT cache (Java ");
    }
    assertThat(said).doesNotContain("in use");
  }
}
