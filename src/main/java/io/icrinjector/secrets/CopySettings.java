package io.icrinjector.secrets;

import io.icrinjector.config.IcrConfig;
import io.icrinjector.engine.RewriteRules;
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
 */
public record CopySettings(boolean enabled, String sourceNamespace, List<String> secretNames,
    Set<String> protectedNamespaces, Duration budget, Duration initialBackoff, Duration maxBackoff,
    Duration requestTimeout, int maxPending, int maxConcurrent) {

  /** Settings with the default request timeout (2s), job bound (500) and attempts in flight (4). */
  public CopySettings(boolean enabled, String sourceNamespace, List<String> secretNames,
      Set<String> protectedNamespaces, Duration budget, Duration initialBackoff, Duration maxBackoff) {
    this(enabled, sourceNamespace, secretNames, protectedNamespaces, budget, initialBackoff, maxBackoff,
        Duration.ofSeconds(2), 500, 4);
  }

  /** Namespaces that belong to the cluster itself; a pull secret is never written there. */
  public static final Set<String> SYSTEM_NAMESPACES = Set.of("kube-system", "kube-public", "kube-node-lease");

  /** Normalises the protected set: the system namespaces and the source namespace are always in it. */
  public CopySettings {
    secretNames = List.copyOf(new LinkedHashSet<>(secretNames));
    Set<String> all = new LinkedHashSet<>(SYSTEM_NAMESPACES);
    all.addAll(protectedNamespaces);
    all.add(sourceNamespace);
    protectedNamespaces = Set.copyOf(all);
    maxPending = Math.max(1, maxPending);
    maxConcurrent = Math.max(1, maxConcurrent);
  }

  /** The settings of the running application (their timings are checked at start-up: config.CopyTimingsCheck). */
  public static CopySettings from(IcrConfig config, RewriteRules rules) {
    Set<String> protectedNamespaces = new LinkedHashSet<>();
    config.webhookNamespace().filter(ns -> !ns.isBlank()).ifPresent(protectedNamespaces::add);
    IcrConfig.SecretCopy copy = config.secretCopy();
    return new CopySettings(copy.enabled(), config.sourceNamespace(), rules.secretNames(), protectedNamespaces,
        copy.budget(), copy.initialBackoff(), copy.maxBackoff(), copy.requestTimeout(), copy.maxPending(),
        copy.maxConcurrent());
  }
}
