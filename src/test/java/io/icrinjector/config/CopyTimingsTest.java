package io.icrinjector.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.WithDefault;
import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The timing rules checked at start-up, one case per rule. */
class CopyTimingsTest {

  /** The default of one {@code icr.secret-copy.*} property, as the mapping declares it. */
  static Duration defaultOf(String method) throws NoSuchMethodException {
    return Duration.parse(
        "PT"
            + IcrConfig.SecretCopy.class
                .getMethod(method)
                .getAnnotation(WithDefault.class)
                .value()
                .toUpperCase());
  }

  @Test
  void theDefaultsAreSound() throws Exception {
    assertThat(
            CopyTimings.problems(
                defaultOf("budget"),
                defaultOf("initialBackoff"),
                defaultOf("maxBackoff"),
                defaultOf("webhookTimeout")))
        .isEmpty();
  }

  static Stream<Arguments> broken() {
    Duration s = Duration.ofSeconds(1);
    return Stream.of(
        Arguments.of(
            "no pause between retries",
            Duration.ofSeconds(2),
            Duration.ZERO,
            s.multipliedBy(300),
            s.multipliedBy(5),
            "icr.secret-copy.initial-backoff=PT0S must be positive"),
        Arguments.of(
            "maximum below the first delay",
            Duration.ofSeconds(2),
            s.multipliedBy(10),
            s,
            s.multipliedBy(5),
            "icr.secret-copy.max-backoff=PT1S must not be shorter"),
        Arguments.of(
            "budget equal to the webhook timeout",
            Duration.ofSeconds(5),
            s,
            s.multipliedBy(300),
            s.multipliedBy(5),
            "icr.secret-copy.budget=PT5S must be shorter than the webhook's timeoutSeconds"),
        Arguments.of(
            "budget above the webhook timeout",
            Duration.ofSeconds(10),
            s,
            s.multipliedBy(300),
            s.multipliedBy(5),
            "icr.secret-copy.budget=PT10S must be shorter"),
        Arguments.of(
            "negative budget",
            Duration.ofSeconds(-1),
            s,
            s.multipliedBy(300),
            s.multipliedBy(5),
            "icr.secret-copy.budget=PT-1S must not be negative"),
        Arguments.of(
            "webhook timeout beyond the API server's limit",
            Duration.ofSeconds(2),
            s,
            s.multipliedBy(300),
            s.multipliedBy(31),
            "icr.secret-copy.webhook-timeout=PT31S must be between 1s and 30s"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("broken")
  void refusesUnsoundTimings(
      String name,
      Duration budget,
      Duration initial,
      Duration max,
      Duration timeout,
      String problem) {
    assertThat(CopyTimings.problems(budget, initial, max, timeout))
        .singleElement()
        .asString()
        .startsWith(problem);
  }

  @Test
  void theStartUpCheckRefusesAnInitialBackoffOfZero() {
    assertThatThrownBy(() -> new SecretCopyCheck(config(Duration.ofSeconds(2), Duration.ZERO)))
        .hasMessageContaining("icr.secret-copy.initial-backoff=PT0S must be positive");
    new SecretCopyCheck(
        config(Duration.ofSeconds(2), Duration.ofSeconds(1))); // sound: no exception
  }

  /** A configuration with the given budget and first back-off, the defaults otherwise. */
  static IcrConfig config(Duration budget, Duration initialBackoff) {
    IcrConfig.SecretCopy copy =
        new IcrConfig.SecretCopy() {
          public boolean enabled() {
            return true;
          }

          public Duration budget() {
            return budget;
          }

          public Duration initialBackoff() {
            return initialBackoff;
          }

          public Duration maxBackoff() {
            return Duration.ofMinutes(5);
          }

          public Duration webhookTimeout() {
            return Duration.ofSeconds(5);
          }

          public Duration requestTimeout() {
            return Duration.ofSeconds(2);
          }

          public int maxPending() {
            return 500;
          }

          public int maxConcurrent() {
            return 4;
          }

          public double writesPerSecond() {
            return 20;
          }

          public int writeBurst() {
            return 50;
          }

          public boolean leaderElection() {
            return true;
          }

          public String leaseName() {
            return "icr-injector-rotation";
          }
        };
    return new IcrConfig() {
      public Mode mode() {
        return Mode.ENFORCE;
      }

      public List<String> rewrites() {
        return List.of();
      }

      public List<String> pullSecretRules() {
        return List.of();
      }

      public String sourceNamespace() {
        return "default";
      }

      public Optional<String> webhookNamespace() {
        return Optional.empty();
      }

      public MemorySize maxBytesInFlight() {
        return new MemorySize(
            BigInteger.valueOf(
                24L << 20)); // the mapping's default, 24M; the timing rules ignore it
      }

      public String webhookConfigurationName() {
        return "icr-injector";
      }

      public SecretCopy secretCopy() {
        return copy;
      }

      public ManagementPort management() {
        return null; // the timing rules ignore it
      }

      public Report report() {
        return null; // the timing rules ignore it
      }
    };
  }
}
