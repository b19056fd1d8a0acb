package io.icrinjector.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RewriteRulesTest {

  static Stream<Arguments> badRewrites() {
    return Stream.of(
        Arguments.of(
            "no equals sign", "registry.ng.bluemix.net", "must look like old-host=new-host"),
        Arguments.of(
            "path in target",
            "registry.ng.bluemix.net=us.icr.io/ns",
            "must look like old-host=new-host"),
        Arguments.of(
            "port in source",
            "registry.ng.bluemix.net:443=us.icr.io",
            "must look like old-host=new-host"),
        Arguments.of("to itself", "us.icr.io=us.icr.io", "maps a host to itself"),
        Arguments.of(
            "docker hub, the implicit host",
            "docker.io=mirror.example.com",
            "docker.io cannot be rewritten"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badRewrites")
  void refusesBadRewriteEntries(String name, String entry, String message) {
    assertThatThrownBy(() -> RewriteRules.of(List.of(entry), List.of()))
        .hasMessageContaining(message);
  }

  @Test
  void refusesChainsBecauseTheSecondPassWouldChangeTheFirst() {
    assertThatThrownBy(
            () -> RewriteRules.of(List.of("a.example=b.example", "b.example=c.example"), List.of()))
        .hasMessageContaining("chains are not allowed");
  }

  @Test
  void refusesOneHostRewrittenTwoWays() {
    assertThatThrownBy(
            () -> RewriteRules.of(List.of("a.example=b.example", "A.example=c.example"), List.of()))
        .hasMessageContaining("rewritten twice");
  }

  @Test
  void secretNamesAreDistinctInRuleOrder() {
    RewriteRules rules =
        RewriteRules.of(
            List.of(), List.of("icr.io=all-icr-io", "x.example=x", "*.icr.io=all-icr-io"));
    assertThat(rules.secretNames()).containsExactly("all-icr-io", "x");
  }

  static Stream<Arguments> deprecatedHosts() {
    return Stream.of(
        Arguments.of("registry.bluemix.net", true),
        Arguments.of("registry.jp-tok.bluemix.net", true),
        Arguments.of("myregistry.ng.bluemix.net", false),
        Arguments.of("registry.ng.bluemix.net.evil.example", false),
        Arguments.of("console.bluemix.net", false));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("deprecatedHosts")
  void recognisesDeprecatedIbmHosts(String host, boolean deprecated) {
    assertThat(RewriteRules.isDeprecatedIbmHost(host)).isEqualTo(deprecated);
  }
}
