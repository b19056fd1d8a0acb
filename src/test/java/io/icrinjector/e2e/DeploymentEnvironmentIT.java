package io.icrinjector.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.icrinjector.deploy.Manifests;
import io.icrinjector.door.Reviews;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The packaged jar started exactly as the Deployment in {@code deploy/} starts its container: the container's
 * environment as {@code kubectl kustomize deploy/} renders it (values, and {@code fieldRef}s resolved as the kubelet
 * would), over the image's own environment, with the image's entry point and working directory read from
 * {@code src/main/docker/Dockerfile.jvm}, on the container's ports. Paths of the container's volume mounts are
 * mapped to local directories (the TLS secret's files made by {@code certs/gen.sh}). The only additions are what
 * the kubelet gives every pod and a local run lacks: the API server's address, its CA and the ServiceAccount's
 * token, as fabric8's environment variables.
 *
 * <p>An install whose environment does not start the app fails here, without a cluster: {@code QUARKUS_TLS_WEBHOOK_*}
 * variables made no key store, so every replica stopped at start ("Cannot set quarkus.http.insecure-requests without
 * enabling SSL"; before that, "No TLS configuration named webhook found").
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DeploymentEnvironmentIT {

  ControlPlane cluster;
  Process process;
  Path log;
  Path certs;
  int httpsPort;
  int managementPort;
  String webhookToken;

  @BeforeAll
  void start() throws Exception {
    cluster = ControlPlane.start();
    List<HasMetadata> objects = Manifests.render("deploy");
    Deployment deployment = Manifests.one(objects, Deployment.class, "icr-injector");
    Container app = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
    httpsPort = port(app, "https");
    managementPort = port(app, "management");
    for (int p : List.of(httpsPort, managementPort, 8080)) {
      try (ServerSocket s = new ServerSocket(p)) {
        s.setReuseAddress(true);
      } catch (IOException e) {
        throw new IllegalStateException(
            "port " + p + " of the container is taken on this machine: " + e.getMessage());
      }
    }
    // Identity and RBAC as deploy/ gives them, and a token of the ServiceAccount (what the kubelet
    // mounts).
    for (HasMetadata o : objects) {
      if (List.of(
              "Namespace",
              "ServiceAccount",
              "ClusterRole",
              "ClusterRoleBinding",
              "Role",
              "RoleBinding")
          .contains(o.getKind())) {
        cluster.admin().resource(o).serverSideApply();
      }
    }
    String namespace = deployment.getMetadata().getNamespace();
    webhookToken =
        cluster
            .admin()
            .serviceAccounts()
            .inNamespace(namespace)
            .withName(deployment.getSpec().getTemplate().getSpec().getServiceAccountName())
            .tokenRequest(
                new TokenRequestBuilder()
                    .withNewSpec()
                    .withExpirationSeconds(3600L)
                    .endSpec()
                    .build())
            .getStatus()
            .getToken();

    certs = cluster.work().resolve("deployment-certs");
    Processes.run(List.of("bash", "certs/gen.sh", certs.toString()), null);
    Map<String, Path> mounts = new LinkedHashMap<>();
    for (var m : app.getVolumeMounts()) {
      Path local =
          m.getName().equals("tls")
              ? certs
              : Files.createDirectories(cluster.work().resolve("mount-" + m.getName()));
      mounts.put(m.getMountPath(), local);
    }

    Dockerfile image = Dockerfile.read(Paths.get("src", "main", "docker", "Dockerfile.jvm"));
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PATH", System.getenv("PATH")); // the image's PATH names its own runtime
    env.put("HOME", cluster.work().toString());
    image
        .env()
        .forEach(
            (k, v) -> {
              if (!k.equals("PATH") && !k.equals("JAVA_HOME")) {
                env.put(k, v);
              }
            });
    for (EnvVar e : app.getEnv()) {
      if (e.getValue() != null) {
        env.put(e.getName(), local(e.getValue(), mounts));
      } else if (e.getValueFrom() != null
          && e.getValueFrom().getFieldRef() != null
          && e.getValueFrom().getFieldRef().getFieldPath().equals("metadata.namespace")) {
        env.put(e.getName(), namespace);
      } else {
        throw new AssertionError(
            "the test cannot resolve the Deployment's variable "
                + e.getName()
                + " (only values and fieldRef metadata.namespace): teach it, do not drop the check");
      }
    }
    env.put("KUBERNETES_MASTER", cluster.url());
    env.put("KUBERNETES_CERTS_CA_FILE", cluster.caFile().toString());
    env.put("KUBERNETES_AUTH_TOKEN", webhookToken);
    env.put("KUBERNETES_AUTH_TRYKUBECONFIG", "false");
    env.put("KUBERNETES_AUTH_TRYSERVICEACCOUNT", "false");

    // The image's entry point, with its runtime and /deployments replaced by this JDK and
    // target/quarkus-app.
    Path appDir = Paths.get("target", "quarkus-app").toAbsolutePath();
    List<String> cmd = new ArrayList<>();
    for (String word : image.entrypoint()) {
      cmd.add(
          word.replace(
                  "/opt/java/bin/java",
                  Paths.get(System.getProperty("java.home"), "bin", "java").toString())
              .replace(image.workdir() + "/", appDir + "/"));
    }
    assertThat(cmd).as("entry point").contains(appDir.resolve("quarkus-run.jar").toString());
    log = cluster.work().resolve("deployment-env.log");
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .directory(appDir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().clear();
    pb.environment().putAll(env);
    process = pb.start();
  }

  @AfterAll
  void stop() {
    Processes.stop(process);
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void startsReadyAndAnswersOverHttpsWithTheMountedCertificate() throws Exception {
    HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    Processes.awaitOk(
        "ready with the Deployment's environment",
        Duration.ofSeconds(90),
        process,
        log,
        "http://127.0.0.1:" + managementPort + "/q/health/ready");

    X509Certificate served = certificate(certs.resolve("tls.crt"));
    HttpClient https =
        HttpClient.newBuilder()
            .sslContext(trusting(certs.resolve("ca.crt")))
            .connectTimeout(Duration.ofSeconds(2))
            .build();
    HttpResponse<String> answer =
        https.send(
            HttpRequest.newBuilder(URI.create("https://localhost:" + httpsPort + "/mutate"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Reviews.fixture("create-us-south.json")))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(answer.statusCode()).isEqualTo(200);
    assertThat(answer.body())
        .contains("\"uid\":\"c1a1e7b0-0001-4000-8000-000000000001\"", "\"patch\"");
    SSLSession session = answer.sslSession().orElseThrow();
    assertThat(((X509Certificate) session.getPeerCertificates()[0]).getSerialNumber())
        .isEqualTo(served.getSerialNumber());

    // QUARKUS_HTTP_INSECURE_REQUESTS=disabled: no plain HTTP port.
    assertThatThrownBy(
            () ->
                plain.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:8080/mutate"))
                        .POST(HttpRequest.BodyPublishers.ofString("{}"))
                        .build(),
                    HttpResponse.BodyHandlers.discarding()))
        .isInstanceOf(ConnectException.class);
  }

  /**
   * ICR_MANAGEMENT_AUTH=enabled from the Deployment: /q/metrics wants a token. The webhook's own token is
   * authenticated and asked about (so the auth-delegator binding of deploy/ works) but holds no metrics-reader
   * binding: 403. ManagementLockIT proves the 200 of a bound token.
   */
  @Test
  void theDeploymentLocksTheManagementPort() throws Exception {
    HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    Processes.awaitOk(
        "management port up",
        Duration.ofSeconds(90),
        process,
        log,
        "http://127.0.0.1:" + managementPort + "/q/health/live");
    URI metrics = URI.create("http://127.0.0.1:" + managementPort + "/q/metrics");
    assertThat(
            plain
                .send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode())
        .isEqualTo(401);
    HttpResponse<String> own =
        plain.send(
            HttpRequest.newBuilder(metrics)
                .header("Authorization", "Bearer " + webhookToken)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(own.statusCode()).as(own.body()).isEqualTo(403);
    assertThat(own.body())
        .contains("system:serviceaccount:icr-injector:icr-injector may not get /q/metrics");
  }

  @Test
  void theJvmRunsWithTheDeploymentsOptions() {
    // The launcher's first line: read from the whole log, whatever the app has logged since.
    Processes.await(
        "JVM options echoed by the launcher",
        Duration.ofSeconds(30),
        process,
        log,
        () -> whole(log).contains("Picked up JDK_JAVA_OPTIONS"));
    String line =
        whole(log)
            .lines()
            .filter(l -> l.contains("Picked up JDK_JAVA_OPTIONS"))
            .findFirst()
            .orElseThrow();
    assertThat(line)
        .contains("-XX:+UseSerialGC", "-XX:MaxRAMPercentage=50", "-XX:+ExitOnOutOfMemoryError");
  }

  static String whole(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** A path under a mount of the container, as the path of the local directory that stands for it. */
  static String local(String value, Map<String, Path> mounts) {
    return mounts.entrySet().stream()
        .filter(m -> value.startsWith(m.getKey() + "/"))
        .max(java.util.Comparator.comparingInt(m -> m.getKey().length()))
        .map(m -> m.getValue() + value.substring(m.getKey().length()))
        .orElse(value);
  }

  static int port(Container c, String name) {
    return c.getPorts().stream()
        .filter(p -> name.equals(p.getName()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no container port " + name))
        .getContainerPort();
  }

  static X509Certificate certificate(Path pem) throws Exception {
    return (X509Certificate)
        CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(pem)));
  }

  static SSLContext trusting(Path ca) throws Exception {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    trust.setCertificateEntry("ca", certificate(ca));
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  /** The final stage of a Dockerfile: its ENV, WORKDIR and ENTRYPOINT, as the image builder reads them. */
  record Dockerfile(Map<String, String> env, String workdir, List<String> entrypoint) {
    static Dockerfile read(Path file) throws IOException {
      List<String> lines = new ArrayList<>();
      StringBuilder cur = new StringBuilder();
      for (String raw : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (raw.isBlank() || raw.strip().startsWith("#")) {
          continue;
        }
        if (raw.endsWith("\\")) {
          cur.append(raw, 0, raw.length() - 1).append(' ');
          continue;
        }
        lines.add(cur.append(raw).toString());
        cur.setLength(0);
      }
      int from = 0;
      for (int i = 0; i < lines.size(); i++) {
        if (lines.get(i).toUpperCase().startsWith("FROM ")) {
          from = i;
        }
      }
      Map<String, String> env = new LinkedHashMap<>();
      String workdir = "/";
      List<String> entrypoint = List.of();
      for (String l : lines.subList(from + 1, lines.size())) {
        String[] parts = l.split("\\s+", 2);
        switch (parts[0].toUpperCase()) {
          case "ENV" -> {
            var m =
                java.util.regex.Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|\\S+)")
                    .matcher(parts[1]);
            while (m.find()) {
              env.put(m.group(1), m.group(2).replaceAll("^\"|\"$", ""));
            }
          }
          case "WORKDIR" -> workdir = parts[1].strip();
          case "ENTRYPOINT" ->
              entrypoint =
                  List.of(
                      io.fabric8.kubernetes.client.utils.Serialization.unmarshal(
                          parts[1], String[].class));
          default -> {}
        }
      }
      return new Dockerfile(env, workdir, entrypoint);
    }
  }
}
