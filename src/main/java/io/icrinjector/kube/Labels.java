package io.icrinjector.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.icrinjector.engine.MutationEngine;
import java.util.Map;

/**
 * The labels and annotations icr-injector reads or writes on Kubernetes objects, named once: the namespace opt-in
 * that the watch selects and the report reads, the pod opt-out that the engine applies, and how a copy says it is
 * icr-injector's: the label that the replicator writes, the report reads and an administrator selects on
 * ({@code kubectl delete secret -A -l app.kubernetes.io/managed-by=icr-injector}), and the annotations that name its
 * source. Only secrets for which {@link #isOurs} holds are ever written.
 */
public final class Labels {

  /** Namespace label that opts a namespace in ({@code enabled}: mutate; {@code audit}: audit only). */
  public static final String INJECT = "icr-injector.io/inject";

  /** Value of {@link #INJECT} that sends the namespace's pod creates to {@code /mutate}. */
  public static final String INJECT_ENABLED = "enabled";

  /**
   * Pod label that opts a pod out. The engine applies it to the review's JSON and, importing nothing of ours, holds
   * the one definition; this names it for everything above.
   */
  public static final String SKIP = MutationEngine.SKIP_LABEL;

  /** Label that marks a copy as ours. */
  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";

  /** Value of {@link #MANAGED_BY} on our copies. */
  public static final String MANAGER = "icr-injector";

  /** The prefix of icr-injector's own labels and annotations. */
  public static final String PREFIX = "icr-injector.io/";

  /** Annotation naming the copy's source as {@code namespace/name}. */
  public static final String SOURCE_ANNOTATION = PREFIX + "source";

  /** Annotation holding the resourceVersion of the source the copy was made from. */
  public static final String SOURCE_VERSION_ANNOTATION = PREFIX + "source-resource-version";

  private Labels() {}

  /** Whether {@code object} carries our label, and so may be written by icr-injector. */
  public static boolean isOurs(HasMetadata object) {
    Map<String, String> labels =
        object.getMetadata() == null ? null : object.getMetadata().getLabels();
    return labels != null && MANAGER.equals(labels.get(MANAGED_BY));
  }
}
