package io.icrinjector.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The environment of every process a test starts (kubectl, helm, openssl, certs/gen.sh, the webhook's JVM, the node's
 * scripts): built, never inherited. A developer's shell has {@code KUBECONFIG}, {@code ~/.kube/config},
 * {@code KUBERNETES_MASTER} and cloud credentials in it; a child that inherits them talks to their cluster.
 *
 * <p>How it was found: {@code kubectl kustomize}, which renders files and needs no cluster, opened five connections to
 * the server of the current kubeconfig context each time it ran (the Google Cloud SDK's kubectl is a dispatcher that
 * asks the server for its version to pick a matching kubectl). {@code mvn test} made 75 such connections.
 *
 * <p>What a child gets: {@code PATH} (to find its tools), {@code HOME} set to a directory of this JVM's own with no
 * {@code .kube} in it, {@code KUBECONFIG} set explicitly (to a file naming a loopback port where nothing listens,
 * unless the caller names a cluster the test started), and a C locale. Callers add what their tool needs on top.
 */
public final class ChildEnv {

  /** The unreachable API server the no-cluster kubeconfig names: the same as pom.xml's {@code kubernetes.master}. */
  public static final String NO_SERVER = "https://127.0.0.1:1";

  private static Path home;

  private ChildEnv() {}

  /** An environment with no cluster in it: kubectl and helm find only {@link #NO_SERVER}. */
  public static Map<String, String> isolated() {
    return withKubeconfig(home().resolve("no-cluster.kubeconfig"));
  }

  /** An environment whose kubeconfig is {@code kubeconfig} (a cluster the test started). */
  public static Map<String, String> withKubeconfig(Path kubeconfig) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"));
    env.put("HOME", home().toString());
    env.put("KUBECONFIG", kubeconfig.toAbsolutePath().toString());
    env.put("LANG", "C.UTF-8");
    return env;
  }

  /** {@link #isolated()} in a new {@link ProcessBuilder} for {@code command}. */
  public static ProcessBuilder process(List<String> command) {
    return apply(new ProcessBuilder(command), isolated());
  }

  /** Replaces {@code pb}'s inherited environment with {@code env}. */
  public static ProcessBuilder apply(ProcessBuilder pb, Map<String, String> env) {
    pb.environment().clear();
    pb.environment().putAll(env);
    return pb;
  }

  /**
   * The children's home: a temporary directory with a kubeconfig that names no reachable cluster. An empty
   * kubeconfig would not do: kubectl then falls back to {@code http://localhost:8080}, the port {@code make run}
   * serves on.
   */
  public static synchronized Path home() {
    if (home == null) {
      try {
        Path dir = Files.createTempDirectory("icr-child-home-");
        Files.writeString(
            dir.resolve("no-cluster.kubeconfig"),
            """
            apiVersion: v1
            kind: Config
            current-context: none
            clusters:
            - name: none
              cluster: {server: "%s"}
            users:
            - name: none
              user: {}
            contexts:
            - name: none
              context: {cluster: none, user: none}
            """
                .formatted(NO_SERVER));
        dir.toFile().deleteOnExit();
        dir.resolve("no-cluster.kubeconfig").toFile().deleteOnExit();
        home = dir;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return home;
  }
}
