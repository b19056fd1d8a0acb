package io.icrinjector.door;

import io.icrinjector.testing.ChildEnv;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTestProfile;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Serves the webhook over HTTPS only, with a certificate that {@code certs/gen.sh} makes in a temporary directory,
 * configured exactly as {@code deploy/} does it: a named TLS configuration {@code webhook} for the main server.
 */
public class TlsProfile implements QuarkusTestProfile {

  /** Where the certificates live for this test run. */
  public static Path dir;

  /**
   * The plain HTTP port this run would use: a port that was free when Quarkus started, so that
   * {@code TlsTest.plainHttpIsOffWhenTlsIsConfigured} probes a port where plain HTTP would listen if it were on
   * (with the test default of 0 there is no such port to probe).
   */
  public static int httpPort;

  @Override
  public List<TestResourceEntry> testResources() {
    return List.of(new TestResourceEntry(Certificates.class));
  }

  /** Makes the certificates before Quarkus starts. */
  public static class Certificates implements QuarkusTestResourceLifecycleManager {
    @Override
    public Map<String, String> start() {
      try {
        dir = Files.createTempDirectory("icr-tls");
        generate(dir, false);
        try (ServerSocket free = new ServerSocket(0)) {
          httpPort = free.getLocalPort();
        }
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      return Map.of(
          "quarkus.http.tls-configuration-name",
          "webhook",
          "quarkus.tls.webhook.key-store.pem.0.cert",
          dir.resolve("tls.crt").toString(),
          "quarkus.tls.webhook.key-store.pem.0.key",
          dir.resolve("tls.key").toString(),
          "quarkus.tls.webhook.reload-period",
          "1s",
          "quarkus.http.insecure-requests",
          "disabled",
          "quarkus.http.test-port",
          String.valueOf(httpPort));
    }

    @Override
    public void stop() {}
  }

  /** Runs {@code certs/gen.sh dir}; {@code force} makes a new CA and certificate over the old files. */
  public static void generate(Path dir, boolean force) {
    try {
      ProcessBuilder pb =
          ChildEnv.process(List.of("bash", "certs/gen.sh", dir.toString()))
              .redirectErrorStream(true);
      pb.environment().put("FORCE", force ? "1" : "0");
      Process p = pb.start();
      String out = new String(p.getInputStream().readAllBytes());
      if (p.waitFor() != 0) {
        throw new IllegalStateException("certs/gen.sh failed: " + out);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
