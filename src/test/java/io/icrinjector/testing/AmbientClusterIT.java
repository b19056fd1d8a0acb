package io.icrinjector.testing;

import io.icrinjector.e2e.ControlPlane;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link AmbientClusterTest} for the end-to-end suite: with a live cluster in the machine's environment, the suite's
 * own control plane, the packaged webhook's JVM it starts, kubectl, openssl and the report command reach only what
 * the test started. A listener counts; it must count 0.
 */
class AmbientClusterIT {

  /** The webhook's JVM (started and failing to start), the control plane, kubectl and the report command. */
  static final List<String> CLASSES =
      List.of("io.icrinjector.e2e.StartupFailureIT", "io.icrinjector.e2e.WebhookE2EIT");

  @Test
  void theEndToEndSuiteAndItsChildrenNeverReachTheClusterOfTheMachine(@TempDir Path home)
      throws Exception {
    try (AmbientCluster machine = new AmbientCluster(home)) {
      Map<String, String> properties = new LinkedHashMap<>(AmbientCluster.pomProperties());
      // where the control plane's binaries are, as this JVM found them (ICR_CONTROLPLANE_DIR is not
      // passed on)
      properties.put("icr.controlplane.dir", ControlPlane.root().toString());
      machine.runQuietly(CLASSES, properties);
    }
  }
}
