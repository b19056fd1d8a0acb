package io.icrinjector.deploy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.icrinjector.testing.ChildEnv;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Renders a kustomization with {@code kubectl kustomize} and parses it into typed objects. */
public final class Manifests {

  private Manifests() {}

  /** The objects {@code kubectl kustomize dir} renders; fails the test with kubectl's message if it cannot. */
  public static List<HasMetadata> render(String dir) {
    try {
      Process p = ChildEnv.process(List.of(kubectl(), "kustomize", dir)).start();
      byte[] out = p.getInputStream().readAllBytes();
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new AssertionError("kubectl kustomize " + dir + " failed: " + err);
      }
      List<HasMetadata> objects = new ArrayList<>();
      for (String doc : new String(out, StandardCharsets.UTF_8).split("(?m)^---$")) {
        if (!doc.isBlank()) {
          objects.add(Serialization.unmarshal(doc));
        }
      }
      return objects;
    } catch (IOException e) {
      throw new AssertionError("cannot run kubectl (is it on PATH?): " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** kubectl from PATH, as an administrator would run it; else the one {@code make controlplane} built. */
  public static String kubectl() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      if (java.nio.file.Files.isExecutable(java.nio.file.Path.of(dir, "kubectl"))) {
        return "kubectl";
      }
    }
    return io.icrinjector.e2e.ControlPlane.binaries().resolve("kubectl").toString();
  }

  /** The one object of a kind and name. */
  public static <T extends HasMetadata> T one(
      List<HasMetadata> objects, Class<T> type, String name) {
    return objects.stream()
        .filter(type::isInstance)
        .map(type::cast)
        .filter(o -> o.getMetadata().getName().equals(name))
        .findFirst()
        .orElseThrow(
            () ->
                new AssertionError(
                    "no " + type.getSimpleName() + " " + name + " in " + names(objects)));
  }

  /** The one object of a kind that fabric8 does not model (cert-manager's), by kind and name. */
  public static GenericKubernetesResource generic(
      List<HasMetadata> objects, String kind, String name) {
    return objects.stream()
        .filter(o -> o.getKind().equals(kind) && o.getMetadata().getName().equals(name))
        .map(GenericKubernetesResource.class::cast)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in " + names(objects)));
  }

  private static List<String> names(List<HasMetadata> objects) {
    return objects.stream().map(o -> o.getKind() + "/" + o.getMetadata().getName()).toList();
  }
}
