package io.icrinjector.deploy;

import io.icrinjector.testing.ChildEnv;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs kubeconform, strict, over rendered manifests, against the schemas {@code src/test/kubeconform/build.sh}
 * made offline (built-in kinds of the control plane's Kubernetes version, cert-manager's and the Prometheus
 * Operator's CRDs). A misspelt or misplaced field, a wrong type or a kind without a schema fails.
 */
final class Kubeconform {

  private Kubeconform() {}

  static void assertValid(String yaml, String what) {
    Path dir = dir();
    try {
      Process p =
          ChildEnv.process(
                  List.of(
                      dir.resolve("kubeconform").toString(),
                      "-strict",
                      "-summary",
                      "-output",
                      "text",
                      "-schema-location",
                      dir.resolve("schemas")
                          + "/{{ .Group }}/{{ .ResourceAPIVersion }}/{{ .ResourceKind }}.json"))
              .redirectErrorStream(true)
              .start();
      try (OutputStream in = p.getOutputStream()) {
        in.write(yaml.getBytes(StandardCharsets.UTF_8));
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("kubeconform did not finish on " + what);
      }
      if (p.exitValue() != 0 || !out.contains("Invalid: 0, Errors: 0")) {
        throw new AssertionError("kubeconform -strict refuses " + what + ":\n" + out);
      }
    } catch (IOException e) {
      throw new AssertionError("cannot run kubeconform: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The directory build.sh prints for the versions of src/test/kubeconform/go.mod and the control plane. */
  static Path dir() {
    String version =
        goModVersion(Path.of("src/test/kubeconform/go.mod"), "github.com/yannh/kubeconform");
    String kube = goModVersion(Path.of("src/test/controlplane/kube/go.mod"), "k8s.io/kubernetes");
    String configured =
        System.getProperty("icr.controlplane.dir", System.getenv("ICR_CONTROLPLANE_DIR"));
    Path root =
        configured != null && !configured.isBlank()
            ? Paths.get(configured)
            : Paths.get(System.getProperty("user.home"), ".cache", "icr-injector", "controlplane");
    Path dir = root.resolve("kubeconform").resolve(version + "-k8s" + kube + "-" + schemasHash());
    if (!Files.exists(dir.resolve(".complete"))) {
      throw new AssertionError(
          "no kubeconform at " + dir + ": run `make controlplane` (src/test/kubeconform/build.sh)");
    }
    return dir;
  }

  /** The first 8 hex digits of schemas.py's SHA-256, as build.sh names the directory. */
  private static String schemasHash() {
    try {
      byte[] digest =
          java.security.MessageDigest.getInstance("SHA-256")
              .digest(Files.readAllBytes(Path.of("src/test/kubeconform/schemas.py")));
      return java.util.HexFormat.of().formatHex(digest).substring(0, 8);
    } catch (IOException | java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private static String goModVersion(Path goMod, String module) {
    try {
      // "module vX" in a require block, or "require module vX" on one line.
      return Files.readAllLines(goMod).stream()
          .map(l -> l.strip().replaceFirst("^require\\s+", ""))
          .filter(l -> l.startsWith(module + " v"))
          .map(l -> l.split("\\s+")[1])
          .findFirst()
          .orElseThrow(() -> new AssertionError("no " + module + " in " + goMod));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
