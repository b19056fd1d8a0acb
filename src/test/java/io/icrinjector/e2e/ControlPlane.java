package io.icrinjector.e2e;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A real Kubernetes control plane on loopback: etcd and kube-apiserver built from Go modules by
 * {@code make controlplane} (fabric8 kube-api-test layout {@code <dir>/k8s/<version>-linux-amd64/}), with RBAC
 * authorization on, certificates made with openssl, and an admin client ({@code system:masters}).
 *
 * <p>There is no controller-manager and no scheduler: pods are stored and stay Pending, which is all an admission
 * webhook's tests need; namespaces get their {@code default} ServiceAccount from {@link #namespace}.
 */
public final class ControlPlane implements AutoCloseable {

  private final Path bin;
  private final Path work;
  private final Path pki;
  private Process etcd;
  private Process apiserver;
  private int apiPort;
  private KubernetesClient admin;

  private ControlPlane(Path bin, Path work) {
    this.bin = bin;
    this.work = work;
    this.pki = work.resolve("pki");
  }

  /** Finds the binaries, or fails saying how to build them: the end-to-end suite never skips itself. */
  public static Path binaries() {
    Path k8s = root().resolve("k8s");
    try (Stream<Path> dirs = Files.isDirectory(k8s) ? Files.list(k8s) : Stream.empty()) {
      return dirs.filter(
              d ->
                  Stream.of("etcd", "kube-apiserver", "kubectl")
                      .allMatch(b -> Files.isExecutable(d.resolve(b))))
          .max(Comparator.comparing(d -> d.getFileName().toString()))
          .orElseThrow(
              () ->
                  new IllegalStateException(
                      "no etcd, kube-apiserver and kubectl under "
                          + k8s
                          + ": run `make controlplane` (or set ICR_CONTROLPLANE_DIR to the directory it prints)"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Where {@code make controlplane} caches its binaries: {@code ICR_CONTROLPLANE_DIR}, else under the user's home. */
  public static Path root() {
    String configured =
        System.getProperty("icr.controlplane.dir", System.getenv("ICR_CONTROLPLANE_DIR"));
    return configured != null && !configured.isBlank()
        ? Paths.get(configured)
        : Paths.get(System.getProperty("user.home"), ".cache", "icr-injector", "controlplane");
  }

  /** Starts etcd and kube-apiserver and waits until the API server is ready. */
  public static ControlPlane start() {
    try {
      ControlPlane cp = new ControlPlane(binaries(), Files.createTempDirectory("icr-e2e-"));
      cp.boot();
      return cp;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void boot() throws IOException {
    long t0 = System.nanoTime();
    makePki();
    int etcdPort = Processes.freePort();
    int peerPort = Processes.freePort();
    Path etcdLog = work.resolve("etcd.log");
    etcd =
        Processes.start(
            List.of(
                bin.resolve("etcd").toString(),
                "--name=e2e",
                "--data-dir=" + work.resolve("etcd"),
                "--listen-client-urls=http://127.0.0.1:" + etcdPort,
                "--advertise-client-urls=http://127.0.0.1:" + etcdPort,
                "--listen-peer-urls=http://127.0.0.1:" + peerPort,
                "--initial-advertise-peer-urls=http://127.0.0.1:" + peerPort,
                "--initial-cluster=e2e=http://127.0.0.1:" + peerPort,
                "--unsafe-no-fsync",
                "--log-level=warn"),
            etcdLog);

    apiPort = Processes.freePort();
    Path apiLog = work.resolve("kube-apiserver.log");
    apiserver =
        Processes.start(
            List.of(
                bin.resolve("kube-apiserver").toString(),
                "--etcd-servers=http://127.0.0.1:" + etcdPort,
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                "--endpoint-reconciler-type=none",
                "--secure-port=" + apiPort,
                "--cert-dir=" + work.resolve("apiserver-certs"),
                "--tls-cert-file=" + pki.resolve("apiserver.crt"),
                "--tls-private-key-file=" + pki.resolve("apiserver.key"),
                "--client-ca-file=" + pki.resolve("ca.crt"),
                "--authorization-mode=Node,RBAC",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                "--service-account-key-file=" + pki.resolve("sa.pub"),
                "--service-account-signing-key-file=" + pki.resolve("sa.key"),
                "--service-cluster-ip-range=10.0.0.0/24",
                "--allow-privileged=true"),
            apiLog);

    writeKubeconfig();
    admin = new KubernetesClientBuilder().withConfig(adminConfig()).build();
    Processes.await(
        "kube-apiserver ready",
        Duration.ofSeconds(90),
        apiserver,
        apiLog,
        () -> {
          try {
            return "ok".equals(admin.raw("/readyz"));
          } catch (RuntimeException notYet) {
            return false;
          }
        });
    System.out.printf(
        "[e2e] control plane from %s ready on https://127.0.0.1:%d in %d ms%n",
        bin, apiPort, (System.nanoTime() - t0) / 1_000_000);
  }

  private void makePki() throws IOException {
    Files.createDirectories(pki);
    Files.writeString(
        pki.resolve("apiserver.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\n"
            + "extendedKeyUsage=serverAuth\n");
    Files.writeString(pki.resolve("client.ext"), "extendedKeyUsage=clientAuth\n");
    for (List<String> cmd :
        List.of(
            List.of(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "30",
                "-keyout",
                "ca.key",
                "-out",
                "ca.crt",
                "-subj",
                "/CN=icr-injector-e2e-ca"),
            List.of(
                "openssl",
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "apiserver.key",
                "-out",
                "apiserver.csr",
                "-subj",
                "/CN=kube-apiserver"),
            List.of(
                "openssl",
                "x509",
                "-req",
                "-in",
                "apiserver.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "30",
                "-extfile",
                "apiserver.ext",
                "-out",
                "apiserver.crt"),
            List.of(
                "openssl",
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "admin.key",
                "-out",
                "admin.csr",
                "-subj",
                "/O=system:masters/CN=e2e-admin"),
            List.of(
                "openssl",
                "x509",
                "-req",
                "-in",
                "admin.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "30",
                "-extfile",
                "client.ext",
                "-out",
                "admin.crt"),
            List.of("openssl", "genrsa", "-out", "sa.key", "2048"),
            List.of("openssl", "rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub"))) {
      Processes.run(cmd, pki);
    }
  }

  private void writeKubeconfig() throws IOException {
    Files.writeString(
        kubeconfig(),
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: e2e
          cluster:
            server: %s
            certificate-authority: %s
        users:
        - name: admin
          user:
            client-certificate: %s
            client-key: %s
        contexts:
        - name: e2e
          context: {cluster: e2e, user: admin}
        current-context: e2e
        """
            .formatted(
                url(), pki.resolve("ca.crt"), pki.resolve("admin.crt"), pki.resolve("admin.key")));
  }

  private Config adminConfig() {
    return new ConfigBuilder()
        .withMasterUrl(url())
        .withCaCertFile(pki.resolve("ca.crt").toString())
        .withClientCertFile(pki.resolve("admin.crt").toString())
        .withClientKeyFile(pki.resolve("admin.key").toString())
        .withRequestRetryBackoffLimit(0)
        .build();
  }

  /**
   * Creates a namespace, labelled {@code icr-injector.io/inject=<mode>} unless {@code mode} is null, with the
   * {@code default} ServiceAccount that the ServiceAccount admission plugin wants for its pods (no
   * controller-manager runs here to make it).
   */
  public void namespace(String name, String mode) {
    labelledNamespace(
        name, mode == null ? java.util.Map.of() : java.util.Map.of("icr-injector.io/inject", mode));
  }

  /** Creates a namespace with these labels and the {@code default} ServiceAccount (see above). */
  public void labelledNamespace(String name, java.util.Map<String, String> labels) {
    var ns =
        new io.fabric8.kubernetes.api.model.NamespaceBuilder()
            .withNewMetadata()
            .withName(name)
            .withLabels(labels)
            .endMetadata()
            .build();
    admin.namespaces().resource(ns).create();
    admin
        .serviceAccounts()
        .inNamespace(name)
        .resource(
            new io.fabric8.kubernetes.api.model.ServiceAccountBuilder()
                .withNewMetadata()
                .withName("default")
                .endMetadata()
                .build())
        .create();
  }

  /** The API server's URL. */
  public String url() {
    return "https://127.0.0.1:" + apiPort;
  }

  /** The CA that signed the API server's certificate. */
  public Path caFile() {
    return pki.resolve("ca.crt");
  }

  /** A kubeconfig for the admin user. */
  public Path kubeconfig() {
    return work.resolve("kubeconfig");
  }

  /** A client with full rights ({@code system:masters}). */
  public KubernetesClient admin() {
    return admin;
  }

  /** A client that authenticates with a bearer token (a ServiceAccount's). */
  public KubernetesClient withToken(String token) {
    return new KubernetesClientBuilder()
        .withConfig(
            new ConfigBuilder()
                .withMasterUrl(url())
                .withCaCertFile(caFile().toString())
                .withOauthToken(token)
                .withRequestRetryBackoffLimit(0)
                .build())
        .build();
  }

  /** Runs the control plane's kubectl as admin; returns stdout and stderr together. */
  public String kubectl(String... args) {
    List<String> cmd =
        new ArrayList<>(List.of(bin.resolve("kubectl").toString(), "--kubeconfig=" + kubeconfig()));
    cmd.addAll(List.of(args));
    return Processes.run(cmd, null);
  }

  /** The control plane's kubectl binary. */
  public Path kubectlBinary() {
    return bin.resolve("kubectl");
  }

  /** A scratch directory that lives as long as the control plane. */
  public Path work() {
    return work;
  }

  @Override
  public void close() {
    if (admin != null) {
      admin.close();
    }
    Processes.stop(apiserver); // first: it talks to etcd while it shuts down
    Processes.stop(etcd);
    try (Stream<Path> files = Files.walk(work)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a temp directory left behind is harmless
    }
  }
}
