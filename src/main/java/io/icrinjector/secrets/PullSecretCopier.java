package io.icrinjector.secrets;

import io.smallrye.mutiny.Uni;
import java.util.List;

/**
 * The one call the admission handler makes about secrets: make sure the namespace of the pod has the pull
 * secrets it is about to reference. Implemented by {@link SecretReplicator}, which makes every Kubernetes write of
 * icr-injector (the reads that others make are named in the kube package's documentation).
 */
public interface PullSecretCopier {

  /**
   * Makes sure {@code namespace} holds each secret, copying it from the source namespace when it is missing.
   * Returns at once, with no API call, when the in-memory view already shows every secret there. Never fails:
   * problems come back as warnings for the client (with cause and fix) and the copy goes on in the background.
   *
   * @param namespace the pod's namespace
   * @param secrets secret names the pod references after the patch
   * @param dryRun when true nothing is created or updated, and no background work is started
   * @return warnings for the admission response; empty when the secrets are in place
   */
  Uni<List<String>> ensure(String namespace, List<String> secrets, boolean dryRun);

  /**
   * {@link #ensure}'s warnings when memory alone gives them (every secret is in the namespace, or copying does not
   * apply to it), without a Uni: the answer for almost every pod, on the hot path. {@code null} when a copy has to
   * be started, joined or waited for, or the namespace's opt-in is not known yet: then call {@link #ensure}.
   */
  default List<String> ensureNow(String namespace, List<String> secrets, boolean dryRun) {
    return null;
  }

  /**
   * The secrets of {@code secrets} that {@code namespace} lacks, as far as the in-memory view knows; used by
   * audit to say what a copy would do. Makes no API call.
   */
  List<String> missing(String namespace, List<String> secrets);
}
