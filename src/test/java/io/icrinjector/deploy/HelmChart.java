package io.icrinjector.deploy;

import io.fabric8.kubernetes.client.utils.Serialization;
import io.icrinjector.e2e.ControlPlane;
import io.icrinjector.testing.ChildEnv;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the {@code helm} that {@code make controlplane} builds on {@code deploy/helm/icr-injector}. */
final class HelmChart {

  static final String CHART = "deploy/helm/icr-injector";

  /** The chart needs 1.30 or later; without a cluster, helm assumes 1.20. */
  static final String KUBE_VERSION = "1.37.2";

  private HelmChart() {}

  /** The result of one helm command: exit code, stdout, stderr. */
  record Run(int exit, String out, String err) {}

  static Run helm(List<String> args) {
    Path helm = ControlPlane.binaries().resolve("helm");
    if (!Files.isExecutable(helm)) {
      throw new AssertionError(
          "no helm at "
              + helm
              + ": run `make controlplane` (src/test/controlplane/build.sh builds it)");
    }
    List<String> command = new ArrayList<>(List.of(helm.toString()));
    command.addAll(args);
    try {
      Process p = ChildEnv.process(command).start();
      // stderr of helm is short (an error message); read stdout fully first.
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("helm " + args + " did not finish");
      }
      return new Run(p.exitValue(), out, err);
    } catch (IOException e) {
      throw new AssertionError("cannot run " + helm + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /**
   * {@code helm template} with these extra arguments (e.g. {@code --set k=v}); fails the test if helm does, or if
   * kubeconform finds an object its strict schema refuses.
   */
  static Map<String, Map<String, Object>> template(String... extra) {
    Run run = helm(templateArgs(extra));
    if (run.exit() != 0) {
      throw new AssertionError("helm template failed: " + run.err());
    }
    Kubeconform.assertValid(run.out(), "helm template " + String.join(" ", extra));
    return byKey(run.out());
  }

  /** Arguments of {@code helm template}; the pod of {@code helm test} is left out (deploy/ has no such pod). */
  static List<String> templateArgs(String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "template",
                "icr-injector",
                CHART,
                "--namespace",
                "icr-injector",
                "--kube-version",
                KUBE_VERSION,
                "--skip-tests"));
    args.addAll(List.of(extra));
    return args;
  }

  /** {@code kubectl kustomize dir}, as plain maps (not typed objects, so both sides are compared as written). */
  static Map<String, Map<String, Object>> kustomize(String dir) {
    try {
      Process p = ChildEnv.process(List.of(Manifests.kubectl(), "kustomize", dir)).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new AssertionError("kubectl kustomize " + dir + " failed: " + err);
      }
      Kubeconform.assertValid(out, "kubectl kustomize " + dir);
      return byKey(out);
    } catch (IOException e) {
      throw new AssertionError("cannot run kubectl: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Parses multi-document YAML into maps keyed kind/namespace/name. */
  @SuppressWarnings("unchecked")
  static Map<String, Map<String, Object>> byKey(String yaml) {
    Map<String, Map<String, Object>> objects = new LinkedHashMap<>();
    for (String doc : yaml.split("(?m)^---$")) {
      Map<String, Object> map = Serialization.unmarshal(doc, Map.class);
      if (map != null && !map.isEmpty()) {
        objects.put(key(map), map);
      }
    }
    return objects;
  }

  @SuppressWarnings("unchecked")
  static String key(Map<String, Object> object) {
    Map<String, Object> metadata = (Map<String, Object>) object.get("metadata");
    return object.get("kind")
        + "/"
        + metadata.getOrDefault("namespace", "")
        + "/"
        + metadata.get("name");
  }
}
