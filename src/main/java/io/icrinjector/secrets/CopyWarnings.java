package io.icrinjector.secrets;

import java.time.Duration;

/**
 * Every warning the replicator puts in an admission answer. They lead with the cause and the fix, and none takes the
 * pod's namespace, which the client knows: the handler cuts warnings at 120 characters after its 14-character
 * prefix, and a 63-character namespace would cut the fix off (see CopyWarningsTest for the length they keep).
 */
final class CopyWarnings {

  private CopyWarnings() {}

  static String sourceMissing(String source) {
    return "source secret " + source + " not found; run `ibmcloud ks cluster pull-secret apply`";
  }

  static String stillRunning(String name, Duration budget) {
    return "copy of secret "
        + name
        + " still running after "
        + format(budget)
        + "; continues in the background";
  }

  static String forbidden(String verb, String name, String inNamespace) {
    String where = inNamespace == null ? "" : " in " + inNamespace;
    return "RBAC forbids "
        + verb
        + " of secret "
        + name
        + where
        + "; grant it in icr-injector's ClusterRole";
  }

  static String failed(String name, int code) {
    return "copy of secret " + name + " failed (HTTP " + code + "); retried in the background";
  }

  static String unreachable(String name) {
    return "copy of secret " + name + " failed: API server unreachable; retried in the background";
  }

  static String racedWithDeletion(String name) {
    return "copy of secret " + name + " raced with a deletion; retried in the background";
  }

  static String couldNotStart(String name) {
    return "copy of secret " + name + " could not start; retried in the background";
  }

  static String terminating(String name) {
    return "namespace is terminating; secret " + name + " not copied";
  }

  static String namespaceNotFound(String name) {
    return "namespace not found; secret " + name + " not copied";
  }

  /** A same-named secret that is not ours differs from the source in {@code sourceNamespace}. */
  static String foreignDiffers(String name, String sourceNamespace) {
    return "secret "
        + name
        + " here is not icr-injector's and differs from "
        + sourceNamespace
        + "; left unchanged";
  }

  static String notOptedIn(String name) {
    return "namespace not labelled icr-injector.io/inject=enabled; secret " + name + " not copied";
  }

  /** The namespace watch has not listed yet (the API server not reached since start): opted in or not is unknown. */
  static String optInUnknown(String name) {
    return "namespace opt-in not known yet (no namespace list from the API server); secret "
        + name
        + " not copied";
  }

  static String notQueued(String name, int pending) {
    return "copy of secret "
        + name
        + " deferred: "
        + pending
        + " copies already pending; starts when one ends";
  }

  /** {@code 2s}, or {@code 300ms} when not whole seconds. */
  static String format(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? (ms / 1000) + "s" : ms + "ms";
  }
}
