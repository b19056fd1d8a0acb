package io.icrinjector.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.icrinjector.deploy.Manifests;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A machine with a live cluster in its environment, as a Kubernetes developer's is: a TCP listener on loopback that
 * counts the connections it accepts, and a kubeconfig naming it in {@code KUBECONFIG} and in
 * {@code $HOME/.kube/config}. {@link #runQuietly} runs real test classes in a JVM with that environment and fails
 * when anything (the tests, their Kubernetes clients, the processes they start) connected to it.
 */
final class AmbientCluster implements AutoCloseable {

  private final Listener live;
  private final Path home;

  AmbientCluster(Path home) throws IOException {
    this.live = new Listener();
    this.home = home;
  }

  /**
   * Runs {@code classes} (with {@code properties} as the test JVM's system properties) in the live cluster's
   * environment; asserts they all passed and that the listener accepted nothing.
   */
  void runQuietly(List<String> classes, Map<String, String> properties) throws Exception {
    Map<String, String> env = liveClusterEnvironment(home);
    // The listener is live and the environment names it: a kubectl that inherits it connects at
    // once.
    Process control =
        ChildEnv.apply(
                new ProcessBuilder(Manifests.kubectl(), "version", "--request-timeout=5s"), env)
            .redirectErrorStream(true)
            .start();
    control.getInputStream().readAllBytes();
    assertThat(control.waitFor(60, TimeUnit.SECONDS)).isTrue();
    await("kubectl with the machine's environment reaches the listener")
        .atMost(Duration.ofSeconds(10))
        .until(() -> !live.accepted.isEmpty());
    live.accepted.clear();

    List<String> cmd =
        new ArrayList<>(
            List.of(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path")));
    properties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
    cmd.add(RunTests.class.getName());
    cmd.addAll(classes);
    Path log = Files.createTempFile("icr-ambient", ".log");
    Process run =
        ChildEnv.apply(new ProcessBuilder(cmd), env)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    boolean done = run.waitFor(15, TimeUnit.MINUTES);
    if (!done) {
      run.destroyForcibly();
    }
    String out = Files.readString(log, StandardCharsets.UTF_8);
    Files.delete(log);
    assertThat(done).as("the tests did not end within 15 minutes:\n%s", out).isTrue();
    assertThat(run.exitValue())
        .as("the tests in a live cluster's environment:\n%s", tail(out))
        .isZero();
    assertThat(out).containsPattern("RunTests: found=[1-9]\\d* ");
    assertThat(live.accepted)
        .as("connections to the machine's cluster while %s ran", classes)
        .isEmpty();
  }

  /** What pom.xml gives a test JVM (FreshKubernetesSettings repeats the cluster part). */
  static Map<String, String> pomProperties() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("java.util.logging.manager", "org.jboss.logmanager.LogManager");
    FreshKubernetesSettings.DEFAULTS.forEach(
        (k, v) -> {
          if (v != null) {
            p.put(k, v);
          }
        });
    if (System.getProperty("maven.home") != null) {
      p.put("maven.home", System.getProperty("maven.home"));
    }
    return p;
  }

  @Override
  public void close() throws IOException {
    live.close();
  }

  /** The environment of a developer's shell: KUBECONFIG and ~/.kube/config both name the listener. */
  Map<String, String> liveClusterEnvironment(Path home) throws IOException {
    String kubeconfig =
        """
        apiVersion: v1
        kind: Config
        current-context: live
        clusters:
        - name: live
          cluster: {server: "https://127.0.0.1:%d", insecure-skip-tls-verify: true}
        users:
        - name: admin
          user: {token: "live-cluster-token"}
        contexts:
        - name: live
          context: {cluster: live, user: admin, namespace: prod}
        """
            .formatted(live.port());
    Files.createDirectories(home.resolve(".kube"));
    Files.writeString(home.resolve(".kube").resolve("config"), kubeconfig);
    Path file = Files.writeString(home.resolve("live.kubeconfig"), kubeconfig);
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    env.put("HOME", home.toString());
    env.put("KUBECONFIG", file.toString());
    env.put("KUBERNETES_MASTER", "https://127.0.0.1:" + live.port());
    env.put("JAVA_HOME", System.getProperty("java.home"));
    return env;
  }

  static String tail(String out) {
    String[] lines = out.split("\n");
    return String.join(
        "\n", java.util.Arrays.copyOfRange(lines, Math.max(0, lines.length - 80), lines.length));
  }

  /** A TCP listener on loopback that accepts, notes who came (the first bytes they sent) and hangs up. */
  static final class Listener implements AutoCloseable {
    final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    final List<String> accepted = new CopyOnWriteArrayList<>();
    private final Thread loop = new Thread(this::acceptAll, "live-cluster-listener");

    Listener() throws IOException {
      loop.setDaemon(true);
      loop.start();
    }

    int port() {
      return socket.getLocalPort();
    }

    private void acceptAll() {
      while (!socket.isClosed()) {
        try (Socket s = socket.accept()) {
          s.setSoTimeout(500);
          byte[] first = new byte[16];
          int n;
          try (InputStream in = s.getInputStream()) {
            n = in.read(first);
          } catch (IOException silent) {
            n = 0;
          }
          accepted.add(
              "from port "
                  + s.getPort()
                  + ": "
                  + (n > 0 && first[0] == 0x16
                      ? "a TLS handshake"
                      : new String(first, 0, Math.max(n, 0), StandardCharsets.ISO_8859_1)));
        } catch (IOException closed) {
          return;
        }
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
