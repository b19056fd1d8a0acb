package io.icrinjector.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.icrinjector.engine.DefaultRules;
import io.icrinjector.engine.RewriteRules;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The needles and the expression generated from rules, and what a hand-edited expression lacks. */
class MatchConditionsTest {

  @Test
  void defaultRulesGiveBluemixTheRewrittenHostsAndIcrIo() {
    assertThat(MatchConditions.needles(DefaultRules.of()))
        .containsExactly(
            "bluemix.net",
            "icr.io",
            "registry.au-syd.bluemix.net",
            "registry.bluemix.net",
            "registry.eu-de.bluemix.net",
            "registry.eu-gb.bluemix.net",
            "registry.ng.bluemix.net");
  }

  @Test
  void pullSecretHostsLoseWildcardsAndPortsAndAreLowerCase() {
    RewriteRules rules =
        RewriteRules.of(
            List.of("Old.Example.COM=new.example.com"),
            List.of(
                "*.icr.io=a",
                "private.*.icr.io=a",
                "Registry.Corp.Example/team=b",
                "*.*.eu.example=c"));
    assertThat(MatchConditions.needles(rules))
        .containsExactly(
            "bluemix.net", "eu.example", "icr.io", "old.example.com", "registry.corp.example");
    assertThat(MatchConditions.expression(rules))
        .isEqualTo(
            "[object.spec.containers, "
                + "object.spec.?initContainers.orValue([]), object.spec.?ephemeralContainers.orValue([])].exists(cs, "
                + "cs.exists(c, has(c.image) && [\"bluemix.net\", \"eu.example\", \"icr.io\", \"old.example.com\", "
                + "\"registry.corp.example\"].exists(h, c.image.lowerAscii().contains(h))))");
  }

  @Test
  void theGeneratedExpressionListsItsOwnNeedles() {
    RewriteRules rules = DefaultRules.of();
    assertThat(MatchConditions.needlesOf(MatchConditions.expression(rules)))
        .isEqualTo(MatchConditions.needles(rules));
    assertThat(MatchConditions.missing(rules, MatchConditions.expression(rules))).isEmpty();
  }

  @Test
  void aHostTheListLacksIsMissingUnlessAShorterNeedleCoversIt() {
    RewriteRules rules =
        RewriteRules.of(List.of(), List.of("*.icr.io=all-icr-io", "harbor.corp.example=corp"));
    String handEdited =
        "object.spec.containers.exists(c, [\"bluemix.net\", 'icr.io'].exists(h, c.image.contains(h)))";
    assertThat(MatchConditions.missing(rules, handEdited)).containsExactly("harbor.corp.example");
    // "corp.example" is a substring of the host: every image on it passes the condition.
    String wider =
        "object.spec.containers.exists(c, [\"bluemix.net\", \"icr.io\", \"corp.example\"].exists(h, "
            + "c.image.contains(h)))";
    assertThat(MatchConditions.missing(rules, wider)).isEmpty();
  }

  @Test
  void anExpressionOfAnotherShapeCannotBeCompared() {
    assertThat(MatchConditions.needlesOf("object.metadata.name != 'x'")).isNull();
    assertThat(MatchConditions.missing(DefaultRules.of(), "object.metadata.name != 'x'")).isEmpty();
  }
}
