package io.icrinjector.engine;

import java.util.List;

/**
 * What the engine decided for one admission request. It holds no JSON: the patch builder and the handler turn
 * it into operations, warnings and log lines.
 *
 * @param skipReason why the request was not looked at, or {@code null} when it was
 * @param changes image rewrites, in the pod's container order
 * @param secretsNeeded every pull secret the pod's final images need, in rule order (the secrets to copy)
 * @param secretsToAttach the needed secrets the pod does not list yet (the secrets to append)
 * @param pullSecretListExists whether {@code spec.imagePullSecrets} is a list already (else it is created)
 * @param warnings findings to pass back to the client (each already short), e.g. unknown deprecated hosts
 */
public record Decision(
    String skipReason,
    List<ImageChange> changes,
    List<String> secretsNeeded,
    List<String> secretsToAttach,
    boolean pullSecretListExists,
    List<String> warnings) {

  /** A request the engine does not act on. */
  public static Decision skipped(String reason) {
    return new Decision(reason, List.of(), List.of(), List.of(), false, List.of());
  }

  /** Whether the pod would be patched. */
  public boolean changesPod() {
    return !changes.isEmpty() || !secretsToAttach.isEmpty();
  }
}
