package io.icrinjector.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PullSecretRuleTest {

  static Stream<Arguments> matching() {
    return Stream.of(
        // name, rule, host, path, matches
        Arguments.of("exact host", "icr.io=s", "icr.io", "a/b", true),
        Arguments.of("exact host is not a subdomain", "icr.io=s", "us.icr.io", "a/b", false),
        Arguments.of("star takes one label", "*.icr.io=s", "us.icr.io", "a", true),
        Arguments.of("star is not zero labels", "*.icr.io=s", "icr.io", "a", false),
        Arguments.of("star is not two labels", "*.icr.io=s", "private.us.icr.io", "a", false),
        Arguments.of("private star", "private.*.icr.io=s", "private.us.icr.io", "a", true),
        Arguments.of("suffix lookalike", "*.icr.io=s", "us.icr.io.evil.example", "a", false),
        Arguments.of("prefix lookalike", "icr.io=s", "myicr.io", "a", false),
        Arguments.of(
            "repository prefix, whole segment", "us.icr.io/acme=s", "us.icr.io", "acme/app", true),
        Arguments.of(
            "repository prefix equals path", "us.icr.io/acme/app=s", "us.icr.io", "acme/app", true),
        Arguments.of(
            "repository prefix, partial segment",
            "us.icr.io/acme=s",
            "us.icr.io",
            "acmecorp/app",
            false),
        Arguments.of(
            "repository prefix, slashes trimmed",
            "us.icr.io/acme/=s",
            "us.icr.io",
            "acme/app",
            true),
        Arguments.of("rule host upper case", "US.ICR.IO=s", "us.icr.io", "a", true));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("matching")
  void matchesHostAndRepository(
      String name, String rule, String host, String path, boolean matches) {
    assertThat(PullSecretRule.parse(rule).matches(host, path)).isEqualTo(matches);
  }

  static Stream<Arguments> invalid() {
    return Stream.of(
        Arguments.of("no secret", "icr.io", "must look like"),
        Arguments.of("empty secret", "icr.io=", "must look like"),
        Arguments.of("upper-case secret", "icr.io=All", "not a valid Secret name"),
        Arguments.of("host with port", "icr.io:443=s", "not a host name"),
        Arguments.of("partial star", "us*.icr.io=s", "not a host name"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalid")
  void rejectsBadRules(String name, String rule, String named) {
    assertThatThrownBy(() -> PullSecretRule.parse(rule)).hasMessageContaining(named);
  }
}
