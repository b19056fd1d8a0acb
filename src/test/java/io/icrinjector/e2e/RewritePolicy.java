package io.icrinjector.e2e;

import io.fabric8.kubernetes.api.model.PodBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The in-tree alternative to the webhook for one deprecated host ({@code src/test/resources/policy/
 * icr-rewrite-policy.yaml}): a MutatingAdmissionPolicy and its binding, which select namespaces labelled
 * {@link #LABEL}{@code =enabled}.
 */
public final class RewritePolicy {

  /** The namespace label the binding selects. */
  public static final String LABEL = "policy.icr-injector.io/rewrite";

  static final Path FILE = Path.of("src", "test", "resources", "policy", "icr-rewrite-policy.yaml");

  private RewritePolicy() {}

  /**
   * Applies the policy and its binding with kubectl, makes namespace {@code probe} (labelled for the policy) and
   * waits until the API server applies the policy there (its policy cache follows the objects asynchronously).
   */
  public static void install(ControlPlane cluster, String probe) {
    cluster.kubectl("apply", "-f", FILE.toString());
    cluster.labelledNamespace(probe, Map.of(LABEL, "enabled"));
    Processes.await(
        "the MutatingAdmissionPolicy in effect",
        Duration.ofSeconds(30),
        null,
        null,
        () ->
            "us.icr.io/probe:1"
                .equals(
                    cluster
                        .admin()
                        .pods()
                        .inNamespace(probe)
                        .resource(
                            new PodBuilder()
                                .withNewMetadata()
                                .withName("probe")
                                .endMetadata()
                                .withNewSpec()
                                .addNewContainer()
                                .withName("c")
                                .withImage("registry.ng.bluemix.net/probe:1")
                                .endContainer()
                                .endSpec()
                                .build())
                        .dryRun()
                        .create()
                        .getSpec()
                        .getContainers()
                        .get(0)
                        .getImage()));
  }
}
