package io.icrinjector.handler;

import com.fasterxml.jackson.databind.JsonNode;
import io.icrinjector.engine.Decision;
import io.icrinjector.engine.ImageChange;
import java.util.List;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

/**
 * The one line per decision that answers "what happened to my pod": uid, namespace, pod, outcome, rewrites, pull
 * secrets and warnings, under the {@link AdmissionHandler}'s logger. Built by hand on the I/O thread, each piece of
 * the client's text escaped as it is appended ({@link LogText}), and not at all when its level is off.
 */
final class DecisionLog {

  private static final Logger LOG = Logger.getLogger(AdmissionHandler.class);

  private DecisionLog() {}

  /** Logs a decision: at INFO when it changed the pod or warned, else at DEBUG. */
  static void log(
      String uid,
      String namespace,
      JsonNode request,
      String outcome,
      Decision d,
      List<String> warnings) {
    if (!d.changesPod() && warnings.isEmpty()) {
      if (LOG.isDebugEnabled()) {
        LOG.debugf(
            "uid=%s namespace=%s pod=%s unchanged",
            LogText.escape(uid), namespace, LogText.escape(podName(request)));
      }
      return;
    }
    if (!LOG.isInfoEnabled()) {
      return;
    }
    String pod = podName(request);
    // Built by hand rather than with infof: java.util.Formatter cost more than the engine's
    // decision on a big pod.
    // Names, images and warnings are the client's text: a newline in generateName would forge a log
    // line.
    StringBuilder line = new StringBuilder(160 + 120 * d.changes().size());
    LogText.append(line.append("uid="), uid).append(" namespace=").append(namespace);
    LogText.append(line.append(" pod="), pod).append(' ').append(outcome).append(" rewrites=[");
    for (int i = 0; i < d.changes().size(); i++) {
      ImageChange c = d.changes().get(i);
      LogText.append(line.append(i == 0 ? "" : ", "), c.containerName()).append(": ");
      LogText.append(LogText.append(line, c.from()).append(" -> "), c.to());
    }
    line.append("] pullSecrets=[").append(String.join(",", d.secretsToAttach())).append(']');
    if (!warnings.isEmpty()) {
      line.append(" warnings=[");
      for (int i = 0; i < warnings.size(); i++) {
        LogText.append(line.append(i == 0 ? "" : ", "), warnings.get(i));
      }
      line.append(']');
    }
    // The same three keys as MDC fields, so JSON logs (quarkus.log.console.json.enabled) can be
    // searched by them.
    MDC.put("uid", uid);
    MDC.put("namespace", namespace);
    MDC.put("pod", pod);
    try {
      LOG.info(line.toString());
    } finally {
      MDC.remove("uid");
      MDC.remove("namespace");
      MDC.remove("pod");
    }
  }

  /** The pod's name, or its generateName followed by {@code *} (pods of a Deployment have no name yet). */
  static String podName(JsonNode request) {
    JsonNode metadata = request.path("object").path("metadata");
    String name = metadata.path("name").asText("");
    if (!name.isEmpty()) {
      return name;
    }
    String generateName = metadata.path("generateName").asText("");
    return generateName.isEmpty() ? request.path("name").asText("") : generateName + "*";
  }
}
