package io.icrinjector;

import io.quarkus.runtime.QuarkusApplication;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * {@code java -XX:AOTCacheOutput=app.aot -jar quarkus-run.jar cds-training}: the training run of the AOT cache
 * (JDK 25, JEP 483/514/515; the name is from the AppCDS archive it trained before). It starts the webhook as
 * {@code Main} does, but on loopback ports of its own, answers a pod review on {@code /mutate} and {@code /audit} and
 * the health checks the kubelet asks first, over HTTP like the API server and the kubelet, then exits; the JVM
 * writes the classes it loaded and linked on the way, and the profiles of the methods it ran, into the cache. The
 * image's build runs it (src/main/docker/Dockerfile.jvm), and so does {@code make bench}.
 *
 * <p>Without {@code kubernetes.master} it points the Kubernetes client at a closed loopback port: a training run
 * never reaches a cluster, and the replicator's start-up (client, watches, their first failed list) is trained too.
 */
public final class CdsTraining implements QuarkusApplication {

  /** The review the training answers: one pod in a namespace that is not opted in (no copy, a warning). */
  static final String REVIEW = "/cds-training-review.json";

  private static final Duration WAIT = Duration.ofSeconds(60);

  /** Sets the run's ports and its Kubernetes client before Quarkus reads its configuration. */
  static void configure() {
    System.setProperty("quarkus.http.host", "127.0.0.1");
    System.setProperty("quarkus.http.port", String.valueOf(freePort()));
    System.setProperty("quarkus.http.ssl-port", "0");
    System.setProperty("quarkus.management.host", "127.0.0.1");
    System.setProperty("quarkus.management.port", String.valueOf(freePort()));
    if (System.getProperty("kubernetes.master") == null) {
      System.setProperty("kubernetes.master", "http://127.0.0.1:1");
      System.setProperty("kubernetes.auth.tryKubeConfig", "false");
      System.setProperty("kubernetes.auth.tryServiceAccount", "false");
      System.setProperty("kubernetes.namespace", "icr-injector");
    }
    if (System.getProperty("icr.webhook-namespace") == null) {
      System.setProperty("icr.webhook-namespace", "icr-injector");
    }
  }

  @Override
  public int run(String... args) throws Exception {
    AotCache.log();
    byte[] review;
    try (InputStream in = CdsTraining.class.getResourceAsStream(REVIEW)) {
      review = in.readAllBytes();
    }
    String app = "http://127.0.0.1:" + System.getProperty("quarkus.http.port");
    String management = "http://127.0.0.1:" + System.getProperty("quarkus.management.port");
    HttpClient client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    // The kubelet asks first (readiness is 503 here: no API server, so no watch has listed), then
    // the API server.
    for (String path : List.of("/q/health/live", "/q/health/ready", "/q/health/started")) {
      client.send(
          HttpRequest.newBuilder(URI.create(management + path)).timeout(WAIT).build(),
          HttpResponse.BodyHandlers.discarding());
    }
    for (String path : List.of("/mutate", "/mutate", "/audit")) {
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(URI.create(app + path))
                  .timeout(WAIT)
                  .header("content-type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofByteArray(review))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200 || !r.body().contains("\"allowed\":true")) {
        System.err.println(
            "cds-training: " + path + " answered " + r.statusCode() + ": " + r.body());
        return 1;
      }
    }
    client.send(
        HttpRequest.newBuilder(URI.create(management + "/q/metrics")).timeout(WAIT).build(),
        HttpResponse.BodyHandlers.discarding());
    System.err.println("cds-training: answered a review on /mutate and /audit; exiting");
    return 0;
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
