package io.icrinjector.report;

import java.util.List;

/**
 * How far a cluster is from the deprecated hosts: per namespace, its opt-in state, whether it has the pull
 * secret, and every pod and workload template that still names a deprecated host.
 *
 * @param sourceNamespace where pull secrets are copied from
 * @param namespaces namespaces with findings, or opted in, sorted by name
 * @param findings total number of findings in the cluster, those left out included
 * @param omittedFindings findings left out of {@code namespaces} ({@code icr.report.max-findings}, or their namespace
 *     was left out)
 * @param omittedNamespaces namespaces left out ({@code icr.report.max-namespaces})
 */
public record MigrationReport(
    String sourceNamespace,
    List<NamespaceReport> namespaces,
    int findings,
    int omittedFindings,
    int omittedNamespaces) {

  /** A complete report. */
  public MigrationReport(String sourceNamespace, List<NamespaceReport> namespaces, int findings) {
    this(sourceNamespace, namespaces, findings, 0, 0);
  }

  /** Whether the report left findings or namespaces out to stay within its bounds. */
  public boolean truncated() {
    return omittedFindings > 0 || omittedNamespaces > 0;
  }

  /**
   * One namespace.
   *
   * @param name namespace name
   * @param mode value of the {@code icr-injector.io/inject} label ({@code enabled}, {@code audit}), or {@code none}
   * @param pullSecrets state of each configured pull secret there: {@code managed} (our copy), {@code present}
   *     (someone else's), {@code missing}
   * @param findings the pods and templates that still name a deprecated host
   */
  public record NamespaceReport(
      String name, String mode, List<SecretState> pullSecrets, List<Finding> findings) {}

  /**
   * @param name secret name
   * @param state {@code managed}, {@code present} or {@code missing}
   */
  public record SecretState(String name, String state) {}

  /**
   * One container image on a deprecated host.
   *
   * @param kind Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or CronJob
   * @param name the object's name
   * @param container the container's name
   * @param image the image as written
   * @param replacement what the webhook would rewrite it to, or {@code null} when the rewrite table has no entry
   */
  public record Finding(
      String kind, String name, String container, String image, String replacement) {}
}
