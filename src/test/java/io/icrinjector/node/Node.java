package io.icrinjector.node;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.icrinjector.testing.ChildEnv;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The single-node cluster of {@code src/test/node/cluster.sh} (kubelet, containerd, kube-proxy, a registry standing
 * in for us.icr.io, all in the network namespace {@code icr-node}), driven the way an administrator drives it: with
 * kubectl, which runs inside that namespace because nothing outside it can reach the API server. cert-manager's
 * controller and cainjector run beside the control plane.
 */
public final class Node implements AutoCloseable {

  /** The script that starts and stops the node. */
  static final Path SCRIPT = Paths.get("src", "test", "node", "cluster.sh");

  /** The overlay the suite installs: deploy/ (with cert-manager) with only the image reference changed. */
  static final Path OVERLAY = Paths.get("src", "test", "node", "overlay");

  /** The image reference that overlay names (without the implicit docker.io/library/). */
  static final String IMAGE = "docker.io/library/icr-injector:node-e2e";

  private final Path kubectl;

  private Node(Path kubeconfig) {
    this.kubectl = kubeconfig.getParent().resolve("bin").resolve("kubectl");
  }

  /** Starts the node (building what is missing), printing the script's progress as it goes. */
  public static Node up() {
    String out = script(Duration.ofMinutes(30), "up").strip();
    String[] lines = out.split("\n");
    return new Node(Paths.get(lines[lines.length - 1]));
  }

  /** Builds the webhook's image from target/quarkus-app with the image recipe and imports it into the node. */
  public void importWebhookImage() {
    Path archive = Paths.get("target", "image", "icr-injector-node-e2e.oci.tar");
    run(
        Duration.ofMinutes(10),
        List.of("bash", "src/main/image/build.sh", "image", archive.toString(), IMAGE));
    script(Duration.ofMinutes(5), "import", archive.toString());
  }

  /** Pushes the busybox test image to the local us.icr.io as {@code image}. */
  public void push(String image) {
    script(Duration.ofMinutes(2), "push", image);
  }

  /** Runs kubectl against the node; returns its output, or throws with it when kubectl fails. */
  public String kubectl(String... args) {
    return kubectlWithInput(null, args);
  }

  /** Runs kubectl with {@code input} on its standard input. */
  public String kubectlWithInput(String input, String... args) {
    List<String> cmd = new ArrayList<>(List.of(kubectl.toString()));
    cmd.addAll(List.of(args));
    return run(Duration.ofMinutes(5), cmd, input);
  }

  /** Runs the {@code helm} that {@code make controlplane} builds against the node, inside its network namespace. */
  public String helm(String... args) {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                io.icrinjector.e2e.ControlPlane.binaries().resolve("helm").toString(),
                "--kubeconfig",
                dir().resolve("admin.kubeconfig").toString()));
    cmd.addAll(List.of(args));
    return run(Duration.ofMinutes(6), inNamespace(cmd));
  }

  /** kubectl get ... -o json, parsed. */
  @SuppressWarnings("unchecked")
  public Map<String, Object> json(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("-o", "json"));
    return Serialization.unmarshal(kubectl(all.toArray(String[]::new)), Map.class);
  }

  /** kubectl get ... -o json of one object, as a generic resource. */
  public GenericKubernetesResource object(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("-o", "json"));
    return Serialization.unmarshal(
        kubectl(all.toArray(String[]::new)), GenericKubernetesResource.class);
  }

  /** A command run inside the node's network namespace (curl to the API server, for example). */
  public static List<String> inNamespace(List<String> command) {
    List<String> cmd = new ArrayList<>(List.of("nsenter", "--net=/run/netns/icr-node", "--"));
    cmd.addAll(command);
    return cmd;
  }

  /** The directory of the node's state (certificates, logs, kubeconfigs). */
  public Path dir() {
    return kubectl.getParent().getParent();
  }

  /** Waits until {@code condition} holds, failing with {@code what} after {@code timeout}. */
  public static void await(String what, Duration timeout, BooleanSupplier condition) {
    org.awaitility.Awaitility.await(what)
        .atMost(timeout)
        .pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(500))
        .until(condition::getAsBoolean);
  }

  /**
   * The serial number (hex) of the certificate that {@code ip:port} serves, read with openssl inside the node; a
   * text that is no serial when nothing answers there.
   */
  public static String servedSerial(String ip, int port) {
    try {
      String out =
          run(
              Duration.ofSeconds(30),
              inNamespace(
                  List.of(
                      "sh",
                      "-c",
                      "openssl s_client -connect "
                          + ip
                          + ":"
                          + port
                          + " </dev/null 2>/dev/null | openssl x509 -noout -serial")),
              null);
      return out.strip().replaceFirst("^serial=", "");
    } catch (AssertionError noCertificate) {
      return "(none: "
          + ip
          + ":"
          + port
          + " served no certificate)"; // not listening (yet, or any more)
    }
  }

  /** The serial number (hex) of a PEM certificate. */
  public static String serial(String pem) {
    return run(Duration.ofSeconds(30), List.of("openssl", "x509", "-noout", "-serial"), pem)
        .strip()
        .replaceFirst("^serial=", "");
  }

  /** The public key (PEM) of a PEM certificate. */
  public static String publicKey(String pem) {
    return run(Duration.ofSeconds(30), List.of("openssl", "x509", "-noout", "-pubkey"), pem)
        .strip();
  }

  /** Stops the node and removes its state. */
  @Override
  public void close() {
    script(Duration.ofMinutes(2), "down");
  }

  private static String script(Duration timeout, String... args) {
    List<String> cmd = new ArrayList<>(List.of("bash", SCRIPT.toString()));
    cmd.addAll(List.of(args));
    return run(timeout, cmd);
  }

  private static String run(Duration timeout, List<String> cmd) {
    return run(timeout, cmd, null);
  }

  /** Runs a command; its standard error (progress) goes to this JVM's, its standard output is returned. */
  static String run(Duration timeout, List<String> cmd, String input) {
    try {
      Path err = Files.createTempFile("icr-node", ".err");
      try {
        // The scripts' progress lines go straight to this JVM's standard error, as they come.
        boolean script = cmd.get(0).equals("bash");
        Process p =
            ChildEnv.apply(new ProcessBuilder(cmd), env())
                .redirectError(
                    script
                        ? ProcessBuilder.Redirect.INHERIT
                        : ProcessBuilder.Redirect.to(err.toFile()))
                .start();
        if (input != null) {
          p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          p.destroyForcibly();
          throw new AssertionError(String.join(" ", cmd) + ": not done within " + timeout);
        }
        String stderr = script ? "(its progress lines above)\n" : Files.readString(err);
        if (p.exitValue() != 0) {
          throw new AssertionError(
              String.join(" ", cmd)
                  + " failed ("
                  + p.exitValue()
                  + "):\n"
                  + stderr
                  + new String(out, StandardCharsets.UTF_8));
        }
        return new String(out, StandardCharsets.UTF_8);
      } finally {
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static Map<String, String> env;

  /**
   * The environment of every command the suite runs ({@link ChildEnv}: no inherited kubeconfig, a home of its own),
   * with what the scripts need named explicitly: where the node and the control plane binaries are cached (they
   * default to {@code $HOME/.cache}, which would be the empty home), Go's settings and caches (src/test/controlplane
   * /build.sh builds with the module cache the machine already has), and {@code JAVA_HOME} for the image's build.
   */
  public static synchronized Map<String, String> env() {
    if (env == null) {
      Map<String, String> e = new java.util.LinkedHashMap<>(ChildEnv.isolated());
      String home = System.getProperty("user.home");
      e.put(
          "ICR_NODE_DIR",
          System.getenv()
              .getOrDefault(
                  "ICR_NODE_DIR", Paths.get(home, ".cache", "icr-injector", "node").toString()));
      e.put("ICR_CONTROLPLANE_DIR", io.icrinjector.e2e.ControlPlane.root().toString());
      for (String name : List.of("JAVA_HOME", "TMPDIR")) {
        if (System.getenv(name) != null) {
          e.put(name, System.getenv(name));
        }
      }
      e.putAll(goEnv());
      env = java.util.Collections.unmodifiableMap(e);
    }
    return env;
  }

  /** Go's own settings as this machine's user has them ({@code go env}), so a home of the suite's own changes none. */
  private static Map<String, String> goEnv() {
    List<String> names =
        List.of("GOENV", "GOPATH", "GOCACHE", "GOMODCACHE", "GOPROXY", "GOFLAGS", "GOTOOLCHAIN");
    List<String> cmd = new ArrayList<>(List.of("go", "env"));
    cmd.addAll(names);
    try {
      // Asked with the user's own home (Go's defaults derive from it) and Go's variables as the JVM
      // has them.
      ProcessBuilder pb = ChildEnv.apply(new ProcessBuilder(cmd), ChildEnv.isolated());
      pb.environment().put("HOME", System.getProperty("user.home"));
      names.stream()
          .filter(n -> System.getenv(n) != null)
          .forEach(n -> pb.environment().put(n, System.getenv(n)));
      Process p = pb.redirectError(ProcessBuilder.Redirect.DISCARD).start();
      String[] values =
          new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n", -1);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0 || values.length < names.size()) {
        throw new AssertionError("go env failed: the node's Kubernetes binaries are built with Go");
      }
      Map<String, String> go = new java.util.LinkedHashMap<>();
      for (int i = 0; i < names.size(); i++) {
        if (!values[i].isEmpty()) {
          go.put(names.get(i), values[i]);
        }
      }
      return go;
    } catch (IOException e) {
      throw new AssertionError("cannot run go (is it on PATH?): " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
