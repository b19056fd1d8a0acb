package io.icrinjector.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 23: with {@code KUBECONFIG} and {@code ~/.kube/config} naming a live cluster, as on every Kubernetes
 * developer's machine, the tests open no connection to it, nor do the processes they start. Proven the way the
 * leak was found: a listener on loopback that counts the connections it accepts, a kubeconfig naming it, and real
 * tests run in a JVM whose environment has both (a Quarkus application on fabric8's default configuration, one
 * with the mock API server, and kubectl rendering {@code deploy/}).
 *
 * <p>Before {@link ChildEnv}, {@code kubectl kustomize} read the inherited {@code KUBECONFIG} and, as the Google
 * Cloud SDK's kubectl (a dispatcher that asks the server for its version), connected five times per rendering:
 * {@code mvn test} made 75 connections.
 */
class AmbientClusterTest {

  /** Real tests that start a Kubernetes client or kubectl: the default client, the mock server, kustomize. */
  static final List<String> CLASSES = List.of("io.icrinjector.door.AdmissionRoutesTest",
      "io.icrinjector.deploy.DeployManifestsTest");

  Listener live;

  @BeforeEach
  void listen() throws IOException {
    live = new Listener();
  }

  @AfterEach
  void close() throws IOException {
    live.close();
  }

  @Test
  void testsAndTheirChildrenNeverReachTheClusterOfTheMachine(@TempDir Path home) throws Exception {
    Map<String, String> env = liveClusterEnvironment(home);
    // The listener is live and the environment names it: a kubectl that inherits it connects at once.
    Process control = ChildEnv.apply(new ProcessBuilder(Manifests.kubectl(), "version", "--request-timeout=5s"), env)
        .redirectErrorStream(true).start();
    control.getInputStream().readAllBytes();
    assertThat(control.waitFor(60, TimeUnit.SECONDS)).isTrue();
    await("kubectl with the machine's environment reaches the listener").atMost(Duration.ofSeconds(10))
        .until(() -> !live.accepted.isEmpty());
    live.accepted.clear();

    List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path")));
    surefireProperties().forEach((k, v) -> cmd.add("-D" + k + "=" + v));
    cmd.add(RunTests.class.getName());
    cmd.addAll(CLASSES);
    Path log = Files.createTempFile("icr-ambient", ".log");
    Process run = ChildEnv.apply(new ProcessBuilder(cmd), env).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    boolean done = run.waitFor(10, TimeUnit.MINUTES);
    if (!done) {
      run.destroyForcibly();
    }
    String out = Files.readString(log, StandardCharsets.UTF_8);
    Files.delete(log);
    assertThat(done).as("the tests did not end within 10 minutes:\n%s", out).isTrue();
    assertThat(run.exitValue()).as("the tests in a live cluster's environment:\n%s", tail(out)).isZero();
    assertThat(out).containsPattern("RunTests: found=[1-9]\\d* ");
    assertThat(live.accepted).as("connections to the machine's cluster while %s ran", CLASSES).isEmpty();
  }

  /** Maven starts the test JVM without the machine's cluster settings (pom.xml, excludedEnvironmentVariables). */
  @Test
  void mavenStartsTheTestJvmWithoutTheMachinesClusterSettings() {
    assumeTrue(System.getProperty("surefire.test.class.path") != null, "run by surefire or failsafe");
    for (String name : List.of("KUBECONFIG", "KUBERNETES_MASTER", "KUBERNETES_SERVICE_HOST", "KUBERNETES_AUTH_TOKEN",
        "KUBERNETES_NAMESPACE")) {
      assertThat(System.getenv(name)).as(name).isNull();
    }
    assertThat(Paths.get(System.getenv("HOME"), ".kube", "config")).doesNotExist();
  }

  /** The environment of a developer's shell: KUBECONFIG and ~/.kube/config both name the listener. */
  Map<String, String> liveClusterEnvironment(Path home) throws IOException {
    String kubeconfig = """
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
        """.formatted(live.port());
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

  /** What pom.xml's surefire configuration gives a test JVM (FreshKubernetesSettings repeats the cluster part). */
  static Map<String, String> surefireProperties() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("java.util.logging.manager", "org.jboss.logmanager.LogManager");
    FreshKubernetesSettings.DEFAULTS.forEach((k, v) -> {
      if (v != null) {
        p.put(k, v);
      }
    });
    if (System.getProperty("maven.home") != null) {
      p.put("maven.home", System.getProperty("maven.home"));
    }
    return p;
  }

  static String tail(String out) {
    String[] lines = out.split("\n");
    return String.join("\n", java.util.Arrays.copyOfRange(lines, Math.max(0, lines.length - 80), lines.length));
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
          accepted.add("from port " + s.getPort() + ": " + (n > 0 && first[0] == 0x16 ? "a TLS handshake"
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
