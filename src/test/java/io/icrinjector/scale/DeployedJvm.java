package io.icrinjector.scale;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.icrinjector.deploy.Manifests;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The JVM options the webhook runs with in a cluster, read from deploy/'s rendered Deployment: its
 * {@code JDK_JAVA_OPTIONS}, less the AOT cache of the image (-XX:AOTCache) (not on this machine: it changes start time, not
 * the live heap), plus {@code -XX:MaxRAM} set to the container's memory limit, so that a heap sized as a percentage
 * of RAM gets what the pod would get, here where no cgroup limits the process.
 */
final class DeployedJvm {

  private DeployedJvm() {}

  static List<String> options() {
    Deployment deployment =
        Manifests.one(Manifests.render("deploy"), Deployment.class, "icr-injector");
    Container container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
    String options =
        container.getEnv().stream()
            .filter(e -> "JDK_JAVA_OPTIONS".equals(e.getName()))
            .map(EnvVar::getValue)
            .findFirst()
            .orElseThrow(
                () -> new IllegalStateException("deploy/'s Deployment sets no JDK_JAVA_OPTIONS"));
    List<String> out =
        new ArrayList<>(
            Arrays.stream(options.trim().split("\\s+"))
                .filter(o -> !o.isEmpty() && !o.startsWith("-XX:AOTCache="))
                .toList());
    Quantity limit = container.getResources().getLimits().get("memory");
    if (limit == null) {
      throw new IllegalStateException("deploy/'s Deployment has no memory limit");
    }
    out.add("-XX:MaxRAM=" + Quantity.getAmountInBytes(limit).toBigInteger());
    return out;
  }
}
