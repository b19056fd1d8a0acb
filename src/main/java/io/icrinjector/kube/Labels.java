package io.icrinjector.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Map;

/**
 * How a copy says it is icr-injector's: the label that the replicator writes, the report reads and an administrator
 * selects on ({@code kubectl delete secret -A -l app.kubernetes.io/managed-by=icr-injector}), and the annotations
 * that name its source. Only secrets for which {@link #isOurs} holds are ever written.
 */
public final class Labels {

  /** Label that marks a copy as ours. */
  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  /** Value of {@link #MANAGED_BY} on our copies. */
  public static final String MANAGER = "icr-injector";
  /** Annotation naming the copy's source as {@code namespace/name}. */
  public static final String SOURCE_ANNOTATION = "icr-injector.io/source";
  /** Annotation holding the resourceVersion of the source the copy was made from. */
  public static final String SOURCE_VERSION_ANNOTATION = "icr-injector.io/source-resource-version";

  private Labels() {}

  /** Whether {@code object} carries our label, and so may be written by icr-injector. */
  public static boolean isOurs(HasMetadata object) {
    Map<String, String> labels = object.getMetadata() == null ? null : object.getMetadata().getLabels();
    return labels != null && MANAGER.equals(labels.get(MANAGED_BY));
  }
}
