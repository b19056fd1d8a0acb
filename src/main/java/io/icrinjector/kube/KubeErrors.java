package io.icrinjector.kube;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Locale;

/**
 * The one reading of a Kubernetes API failure: its HTTP code, its server message, whether it says the namespace is
 * terminating, and a short description for logs and Events. fabric8 wraps the server's {@link Status} in a
 * {@link KubernetesClientException}, sometimes a few causes deep; everything here looks through the chain.
 *
 * <p>{@link #describe} is the one description of a failed Kubernetes call in the application: the report, the burn-down
 * gauge and the management port's caller check use it too.
 */
public final class KubeErrors {

  /**
   * The cause the API server's NamespaceLifecycle admission adds to its 403 when a namespace is being deleted
   * ({@code v1.NamespaceTerminatingCause}); a structured field, unlike the message's wording.
   */
  public static final String NAMESPACE_TERMINATING = "NamespaceTerminating";

  private KubeErrors() {}

  /** The first {@link KubernetesClientException} in the cause chain, or null. */
  public static KubernetesClientException find(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof KubernetesClientException k) {
        return k;
      }
    }
    return null;
  }

  /** The HTTP status code the API server answered, or 0 when it did not answer (unreachable, timeout, bug). */
  public static int code(Throwable t) {
    KubernetesClientException k = find(t);
    return k == null ? 0 : Math.max(k.getCode(), 0);
  }

  /** The API server's own message when there is one, else the exception's. */
  public static String message(Throwable t) {
    KubernetesClientException k = find(t);
    if (k != null && k.getStatus() != null && k.getStatus().getMessage() != null) {
      return k.getStatus().getMessage();
    }
    return String.valueOf(t.getMessage());
  }

  /** Whether the API server refused the write because the namespace is being deleted. */
  public static boolean namespaceTerminating(Throwable t) {
    KubernetesClientException k = find(t);
    Status status = k == null ? null : k.getStatus();
    if (status == null || status.getDetails() == null || status.getDetails().getCauses() == null) {
      return false;
    }
    for (StatusCause cause : status.getDetails().getCauses()) {
      if (NAMESPACE_TERMINATING.equals(cause.getReason())) {
        return true;
      }
    }
    return false;
  }

  /** A one-line description: {@code HTTP 403: <message>} when the server answered, else the root cause. */
  public static String describe(Throwable t) {
    int code = code(t);
    if (code > 0) {
      return "HTTP " + code + ": " + message(t);
    }
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String type = root.getClass().getSimpleName();
    String message = root.getMessage() == null ? type : root.getMessage();
    return message.toLowerCase(Locale.ROOT).contains(type.toLowerCase(Locale.ROOT))
        ? message
        : type + ": " + message;
  }
}
