package io.icrinjector.kube;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.RequestConfig;
import io.fabric8.kubernetes.client.RequestConfigBuilder;
import java.time.Duration;

/**
 * The client that copies, reads of the source and Events go through: the application's client (same HTTP client,
 * credentials and interceptors) with fabric8's own request retry off and a short request timeout. fabric8 retries a
 * refused or failed request 10 times over about 20 s by default, holding a thread all along; under the copy jobs'
 * own retry that made one attempt 11 requests, and 71 namespaces about 1,700 POSTs in 104 s, while the first pod's
 * warning never carried the cause. Here one attempt is one request; the copy jobs (secrets.CopyJobs) are the one retry policy.
 * The watches keep the application's client: their reconnects are the informers' own.
 */
public final class Clients {

  private Clients() {}

  /** The copies' client on {@code client}; null for null (unit tests that never reach the API pass none). */
  public static KubernetesClient of(KubernetesClient client, Duration requestTimeout) {
    if (client == null) {
      return null;
    }
    RequestConfig config = new RequestConfigBuilder(client.getConfiguration().getRequestConfig())
        .withRequestRetryBackoffLimit(0)
        .withRequestTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, requestTimeout.toMillis())))
        .build();
    return client.newClient(config).adapt(KubernetesClient.class);
  }
}
