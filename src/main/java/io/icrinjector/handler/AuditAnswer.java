package io.icrinjector.handler;

import com.fasterxml.jackson.databind.JsonNode;
import io.icrinjector.config.IcrConfig;
import io.icrinjector.engine.Decision;
import io.icrinjector.engine.ImageChange;
import io.icrinjector.secrets.PullSecretCopier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The answer in audit mode ({@code /audit}, or {@code /mutate} with {@code icr.mode=audit}): the pod is admitted
 * unchanged, and what {@code /mutate} would have done comes back as warnings (rewrites, pull secrets attached,
 * secrets copied) and as the audit annotations {@code rewrites}, {@code pull-secrets} and {@code secret-copies}.
 * It copies nothing: the copier is only asked which secrets the namespace lacks.
 */
final class AuditAnswer {

  private final PullSecretCopier copier;
  private final IcrConfig config;
  private final AdmissionMetrics metrics;

  AuditAnswer(PullSecretCopier copier, IcrConfig config, AdmissionMetrics metrics) {
    this.copier = copier;
    this.config = config;
    this.metrics = metrics;
  }

  /** Logs the decision, counts the findings, and answers the review {@code uid} without a patch. */
  AdmissionAnswer answer(JsonNode request, String uid, String namespace, Decision decision) {
    List<String> warnings = new ArrayList<>();
    Map<String, String> annotations = new LinkedHashMap<>();
    for (ImageChange c : decision.changes()) {
      warnings.add(
          "would rewrite container "
              + c.containerName()
              + ": "
              + c.fromHost()
              + " -> "
              + c.toHost());
    }
    for (String secret : decision.secretsToAttach()) {
      warnings.add("would add imagePullSecret " + secret);
    }
    List<String> missing =
        namespace.isEmpty() ? List.of() : copier.missing(namespace, decision.secretsNeeded());
    for (String secret : missing) {
      warnings.add("would copy secret " + secret + " from namespace " + config.sourceNamespace());
    }
    warnings.addAll(decision.warnings());
    if (!decision.changes().isEmpty()) {
      annotations.put(
          "rewrites",
          decision.changes().stream()
              .map(c -> c.containerName() + "=" + c.to())
              .collect(Collectors.joining(",")));
    }
    if (!decision.secretsToAttach().isEmpty()) {
      annotations.put("pull-secrets", String.join(",", decision.secretsToAttach()));
    }
    if (!missing.isEmpty()) {
      annotations.put("secret-copies", String.join(",", missing));
    }
    DecisionLog.log(uid, namespace, request, "audited", decision, warnings);
    metrics.auditFindings(
        decision.changes().size() + decision.secretsToAttach().size() + missing.size());
    return AdmissionAnswer.review(ReviewWriter.write(uid, null, warnings, annotations));
  }
}
