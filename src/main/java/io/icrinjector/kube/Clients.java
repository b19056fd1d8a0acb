package io.icrinjector.kube;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.RequestConfig;
import io.fabric8.kubernetes.client.RequestConfigBuilder;
import java.time.Duration;

/**
 * The Kubernetes clients of the application. The one client Quarkus makes (with {@link UserAgent}'s user agent)
 * serves the watches, whose reconnects are the informers' own; {@link #oneAttempt} derives from it the client that
 * copies, reads of a source, Events, the rotation Lease and the management port's caller check go through: the same
 * HTTP client, credentials and interceptors, with fabric8's own request retry off and a short request timeout.
 * fabric8 retries a refused or failed request 10 times over about 20 s by default, holding a thread all along; under
 * the copy jobs' own retry that made one attempt 11 requests, and 71 namespaces about 1,700 POSTs in 104 s, while the
 * first pod's warning never carried the cause; a scrape behind the caller check waited as long. With it one attempt
 * is one request, and the caller's own policy (the copy jobs' back-off, the next scrape) is the one retry.
 */
public final class Clients {

  private Clients() {}

  /**
   * {@code client} with one request per call and {@code requestTimeout} per request; null for null (unit tests
   * that never reach the API pass none).
   */
  public static KubernetesClient oneAttempt(KubernetesClient client, Duration requestTimeout) {
    if (client == null) {
      return null;
    }
    RequestConfig config =
        new RequestConfigBuilder(client.getConfiguration().getRequestConfig())
            .withRequestRetryBackoffLimit(0)
            .withRequestTimeout(
                (int) Math.min(Integer.MAX_VALUE, Math.max(1, requestTimeout.toMillis())))
            .build();
    return client.newClient(config).adapt(KubernetesClient.class);
  }
}
