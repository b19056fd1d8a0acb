package io.icrinjector.e2e;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.icrinjector.deploy.Manifests;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The packaged webhook ({@code target/quarkus-app/quarkus-run.jar}) installed into a {@link ControlPlane} the way
 * {@code deploy/} installs it: its Namespace, ServiceAccount and RBAC as rendered, and the rendered
 * MutatingWebhookConfiguration with only {@code clientConfig} switched to the local URL and CA bundle. The process
 * authenticates with a token of its ServiceAccount, so it has exactly the rights {@code deploy/} grants.
 */
public final class Webhook implements AutoCloseable {

  /** The webhook's namespace, as deploy/ fixes it. */
  public static final String NAMESPACE = "icr-injector";

  private static final Path JAR = Paths.get("target", "quarkus-app", "quarkus-run.jar");

  private final ControlPlane cluster;
  private final Path certs;
  private final List<HasMetadata> manifests;
  private final int httpsPort = Processes.freePort();
  private final int managementPort = Processes.freePort();
  private final String token;
  private final List<String> properties;
  private final List<String> jvmOptions;
  private Process process;
  private Path log;
  private int starts;

  private Webhook(ControlPlane cluster, List<String> jvmOptions, List<String> properties)
      throws IOException {
    this.cluster = cluster;
    this.jvmOptions = List.copyOf(jvmOptions);
    this.properties = new ArrayList<>(properties);
    if (!Files.isRegularFile(JAR)) {
      throw new IllegalStateException(
          JAR + " is missing: run `mvn package` (make test does) before the end-to-end suite");
    }
    this.certs = cluster.work().resolve("webhook-certs");
    Processes.run(List.of("bash", "certs/gen.sh", certs.toString()), null);
    this.manifests = Manifests.render("deploy");
    applyIdentity();
    this.token =
        cluster
            .admin()
            .serviceAccounts()
            .inNamespace(NAMESPACE)
            .withName("icr-injector")
            .tokenRequest(
                new TokenRequestBuilder()
                    .withNewSpec()
                    .withExpirationSeconds(3600L)
                    .endSpec()
                    .build())
            .getStatus()
            .getToken();
  }

  /** Installs the webhook's identity and RBAC from deploy/ and starts it; call {@link #register()} to wire it in. */
  public static Webhook install(ControlPlane cluster) {
    return install(cluster, List.of());
  }

  /** {@link #install(ControlPlane)} with more system properties ({@code -Dkey=value}) for the process. */
  public static Webhook install(ControlPlane cluster, List<String> properties) {
    return install(cluster, List.of("-Xmx128m"), properties);
  }

  /**
   * {@link #install(ControlPlane, List)} with these JVM options instead of the suite's {@code -Xmx128m} (the scale
   * suite runs the jar under deploy/'s {@code JDK_JAVA_OPTIONS}).
   */
  public static Webhook install(
      ControlPlane cluster, List<String> jvmOptions, List<String> properties) {
    try {
      Webhook w = new Webhook(cluster, jvmOptions, properties);
      w.start();
      return w;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void applyIdentity() {
    for (HasMetadata o : manifests) {
      if (o instanceof Namespace
          || o instanceof ServiceAccount
          || o instanceof ClusterRole
          || o instanceof ClusterRoleBinding
          || o instanceof Role
          || o instanceof RoleBinding) {
        cluster.admin().resource(o).serverSideApply();
      }
    }
  }

  /** Registers the rendered MutatingWebhookConfiguration, pointed at this process. */
  public void register() {
    MutatingWebhookConfiguration config =
        Manifests.one(manifests, MutatingWebhookConfiguration.class, "icr-injector");
    String caBundle;
    try {
      caBundle = Base64.getEncoder().encodeToString(Files.readAllBytes(certs.resolve("ca.crt")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (MutatingWebhook w : config.getWebhooks()) {
      String path = w.getClientConfig().getService().getPath();
      w.getClientConfig().setService(null);
      w.getClientConfig().setUrl("https://127.0.0.1:" + httpsPort + path);
      w.getClientConfig().setCaBundle(caBundle);
    }
    cluster.admin().resource(config).serverSideApply();
  }

  /** Removes the MutatingWebhookConfiguration. */
  public void unregister() {
    cluster
        .admin()
        .admissionRegistration()
        .v1()
        .mutatingWebhookConfigurations()
        .withName("icr-injector")
        .delete();
  }

  /** Starts the jar and waits until it reports ready. */
  public void start() {
    // Two replicas share the cluster's directory: their logs must not share a file.
    log = cluster.work().resolve("webhook-" + managementPort + "-" + (++starts) + ".log");
    List<String> cmd =
        new ArrayList<>(
            List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString()));
    cmd.addAll(jvmOptions);
    cmd.addAll(
        List.of(
            "-Dquarkus.http.port=" + Processes.freePort(),
            "-Dquarkus.http.ssl-port=" + httpsPort,
            "-Dquarkus.http.insecure-requests=disabled",
            "-Dquarkus.http.tls-configuration-name=webhook",
            "-Dquarkus.tls.webhook.key-store.pem.0.cert=" + certs.resolve("tls.crt"),
            "-Dquarkus.tls.webhook.key-store.pem.0.key=" + certs.resolve("tls.key"),
            "-Dquarkus.management.port=" + managementPort,
            // fabric8's own settings: Quarkus fixes quarkus.kubernetes-client.api-server-url and
            // token at build time.
            "-Dkubernetes.master=" + cluster.url(),
            "-Dkubernetes.certs.ca.file=" + cluster.caFile(),
            "-Dkubernetes.auth.token=" + token,
            "-Dkubernetes.auth.tryKubeConfig=false",
            "-Dkubernetes.auth.tryServiceAccount=false",
            "-Dicr.webhook-namespace=" + NAMESPACE,
            "-Dicr.secret-copy.initial-backoff=200ms",
            "-Dicr.secret-copy.max-backoff=2s"));
    cmd.addAll(properties);
    cmd.addAll(List.of("-jar", JAR.toString()));
    process = Processes.start(cmd, log);
    Processes.awaitOk(
        "webhook ready", Duration.ofSeconds(60), process, log, managementUrl() + "/q/health/ready");
  }

  /** Stops the process and starts it again with these {@code -Dname=value} settings added (empty: none). */
  public void restart(String... settings) {
    stop();
    properties.clear();
    properties.addAll(List.of(settings));
    start();
  }

  /** Stops the process (the configuration stays registered). */
  public void stop() {
    Processes.stop(process);
  }

  /** Kills the process at once (SIGKILL), as a node failure or the OOM killer would: nothing is released. */
  public void kill() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Whether the process runs. */
  public boolean alive() {
    return process != null && process.isAlive();
  }

  /**
   * The value of the Prometheus sample {@code series} (a metric name with its labels, as /q/metrics prints it, e.g.
   * {@code icr_injector_leader}), or NaN when the webhook does not print it.
   */
  public double metric(String series) {
    try {
      String text =
          java.net.http.HttpClient.newHttpClient()
              .send(
                  java.net.http.HttpRequest.newBuilder(
                          java.net.URI.create(managementUrl() + "/q/metrics"))
                      .timeout(Duration.ofSeconds(5))
                      .build(),
                  java.net.http.HttpResponse.BodyHandlers.ofString())
              .body();
      for (String line : text.split("\n")) {
        if (line.startsWith(series + " ")) {
          return Double.parseDouble(line.substring(series.length() + 1).trim());
        }
      }
      return Double.NaN;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The management interface's base URL (health, metrics, report). */
  public String managementUrl() {
    return "http://127.0.0.1:" + managementPort;
  }

  /** The running process (its pid for jcmd and /proc), or null before the first start. */
  public Process process() {
    return process;
  }

  /** The ServiceAccount token the webhook runs with. */
  public String token() {
    return token;
  }

  /** The current process log. */
  public String logText() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    stop();
  }
}
