package io.icrinjector.secrets;

import io.icrinjector.config.IcrConfig;
import io.icrinjector.engine.RewriteRules;
import io.quarkus.runtime.configuration.DurationConverter;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The replicator's settings, resolved once from {@link IcrConfig} and {@link RewriteRules}; a separate value so
 * that tests can run several replicators with their own names, namespaces and timings against one API server.
 *
 * @param enabled whether secrets are copied at all
 * @param sourceNamespace where the source of every copied secret lives
 * @param secretNames the secret names to watch and copy
 * @param protectedNamespaces namespaces never written to (the source namespace is always added)
 * @param budget how long an admission waits for a first copy attempt
 * @param initialBackoff the first background retry delay
 * @param maxBackoff the longest background retry delay
 * @param requestTimeout the longest wait for one API request of a copy
 * @param maxPending the most copy jobs pending at once
 * @param maxConcurrent the most copy attempts in flight at once
 * @param writesPerSecond the steady rate of writes ({@link WriteLimiter})
 * @param writeBurst the most writes at once above the rate
 * @param leaseNamespace where the Lease that elects the rotation's writer lives; null: no election, this replica
 *     always writes rotations
 * @param leaseName the name of that Lease
 */
public record CopySettings(
    boolean enabled,
    String sourceNamespace,
    List<String> secretNames,
    Set<String> protectedNamespaces,
    Duration budget,
    Duration initialBackoff,
    Duration maxBackoff,
    Duration requestTimeout,
    int maxPending,
    int maxConcurrent,
    double writesPerSecond,
    int writeBurst,
    String leaseNamespace,
    String leaseName) {

  /**
   * Settings with the application's defaults ({@link IcrConfig.SecretCopy}) for the request timeout, job bound,
   * attempts in flight and write limit, and no leader election.
   */
  public CopySettings(
      boolean enabled,
      String sourceNamespace,
      List<String> secretNames,
      Set<String> protectedNamespaces,
      Duration budget,
      Duration initialBackoff,
      Duration maxBackoff) {
    this(
        enabled,
        sourceNamespace,
        secretNames,
        protectedNamespaces,
        budget,
        initialBackoff,
        maxBackoff,
        DurationConverter.parseDuration(IcrConfig.SecretCopy.REQUEST_TIMEOUT),
        Integer.parseInt(IcrConfig.SecretCopy.MAX_PENDING),
        Integer.parseInt(IcrConfig.SecretCopy.MAX_CONCURRENT),
        Double.parseDouble(IcrConfig.SecretCopy.WRITES_PER_SECOND),
        Integer.parseInt(IcrConfig.SecretCopy.WRITE_BURST),
        null,
        null);
  }

  /** These settings with another write limit and rotation Lease (null namespace: no election); for tests. */
  public CopySettings withWrites(
      double perSecond, int burst, String leaseNamespace, String leaseName) {
    return new CopySettings(
        enabled,
        sourceNamespace,
        secretNames,
        protectedNamespaces,
        budget,
        initialBackoff,
        maxBackoff,
        requestTimeout,
        maxPending,
        maxConcurrent,
        perSecond,
        burst,
        leaseNamespace,
        leaseName);
  }

  /** Namespaces that belong to the cluster itself; a pull secret is never written there. */
  public static final Set<String> SYSTEM_NAMESPACES =
      Set.of("kube-system", "kube-public", "kube-node-lease");

  /** Normalises the protected set: the system namespaces and the source namespace are always in it. */
  public CopySettings {
    secretNames = List.copyOf(new LinkedHashSet<>(secretNames));
    Set<String> all = new LinkedHashSet<>(SYSTEM_NAMESPACES);
    all.addAll(protectedNamespaces);
    all.add(sourceNamespace);
    protectedNamespaces = Set.copyOf(all);
    maxPending = Math.max(1, maxPending);
    maxConcurrent = Math.max(1, maxConcurrent);
    writeBurst = Math.max(1, writeBurst);
  }

  /** The settings of the running application (their timings are checked at start-up: config.SecretCopyCheck). */
  public static CopySettings from(IcrConfig config, RewriteRules rules) {
    Set<String> protectedNamespaces = new LinkedHashSet<>();
    config.webhookNamespace().filter(ns -> !ns.isBlank()).ifPresent(protectedNamespaces::add);
    IcrConfig.SecretCopy copy = config.secretCopy();
    // Without its own namespace (a local run) the webhook has nowhere to put the Lease: it writes
    // rotations alone.
    String leaseNamespace =
        copy.leaderElection()
            ? config.webhookNamespace().filter(ns -> !ns.isBlank()).orElse(null)
            : null;
    return new CopySettings(
        copy.enabled(),
        config.sourceNamespace(),
        rules.secretNames(),
        protectedNamespaces,
        copy.budget(),
        copy.initialBackoff(),
        copy.maxBackoff(),
        copy.requestTimeout(),
        copy.maxPending(),
        copy.maxConcurrent(),
        copy.writesPerSecond(),
        copy.writeBurst(),
        leaseNamespace,
        copy.leaseName());
  }
}
