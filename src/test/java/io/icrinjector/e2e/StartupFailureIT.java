package io.icrinjector.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.icrinjector.testing.ChildEnv;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A packaged jar that cannot start says why before it exits: console logging is asynchronous, and the process used
 * to exit before the queued error was written, so a pod in CrashLoopBackOff showed an empty log.
 */
class StartupFailureIT {

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "a rewrite that is not old=new | ICR_REWRITES | bogus | rewrite \"bogus\" must look like old-host=new-host",
        "a certificate file that is not there | quarkus.tls.webhook.key-store.pem.0.cert | /nonexistent/tls.crt | /nonexistent/tls.crt",
      })
  void exitsWithTheCause(String what, String variable, String value, String expected)
      throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                Paths.get("target", "quarkus-app", "quarkus-run.jar").toString())
            .redirectErrorStream(true);
    Map<String, String> env = ChildEnv.apply(pb, ChildEnv.isolated()).environment();
    env.putAll(
        Map.of(
            "ICR_SECRET_COPY_ENABLED",
            "false",
            "QUARKUS_HTTP_PORT",
            "0",
            "QUARKUS_HTTP_SSL_PORT",
            "0",
            "QUARKUS_MANAGEMENT_PORT",
            "0",
            "QUARKUS_HTTP_TLS_CONFIGURATION_NAME",
            "webhook",
            "quarkus.tls.webhook.key-store.pem.0.cert",
            certs("tls.crt"),
            "quarkus.tls.webhook.key-store.pem.0.key",
            certs("tls.key")));
    env.put(variable, value); // the one bad setting, over a configuration that starts
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isEqualTo(1);
    assertThat(out).contains("icr-injector failed to start", expected);
  }

  /** A real certificate for the cases that are about something else (certs/gen.sh output in a temp dir). */
  private static String certs(String file) {
    return CERTS.get().resolve(file).toString();
  }

  private static final java.util.function.Supplier<java.nio.file.Path> CERTS =
      new java.util.function.Supplier<>() {
        private java.nio.file.Path dir;

        @Override
        public synchronized java.nio.file.Path get() {
          if (dir == null) {
            try {
              dir = java.nio.file.Files.createTempDirectory("icr-startup");
              Processes.run(List.of("bash", "certs/gen.sh", dir.toString()), null);
            } catch (java.io.IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          }
          return dir;
        }
      };
}
