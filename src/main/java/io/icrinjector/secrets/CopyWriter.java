package io.icrinjector.secrets;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;

/**
 * Writes copies through the API: creates one (reading back what is there on AlreadyExists) and updates one, both
 * shaped by the one function {@link #shape}. Blocking; callers run it on a worker thread. API failures other than
 * AlreadyExists are thrown as they come, for the caller to classify ({@link KubeErrors}). Every write first takes a
 * token from the {@link WriteLimiter}: a create as {@code ADMISSION} (a pod needs it), an update as
 * {@code BACKGROUND} (a rotation).
 */
final class CopyWriter {

  /** What a create found: the secret now in the namespace (null if deleted meanwhile) and whether we made it. */
  record Created(Secret secret, boolean byUs) {}

  private final KubernetesClient client;
  private final String sourceNamespace;
  private final WriteLimiter limiter;

  /** A writer with no rate limit; for tests that count no writes. */
  CopyWriter(KubernetesClient client, String sourceNamespace) {
    this(client, sourceNamespace, WriteLimiter.unlimited());
  }

  CopyWriter(KubernetesClient client, String sourceNamespace, WriteLimiter limiter) {
    this.client = client;
    this.sourceNamespace = sourceNamespace;
    this.limiter = limiter;
  }

  /**
   * The copy of {@code source} in {@code namespace}: the source's type and data, our label, and annotations naming
   * the source and its resourceVersion. Built on {@code current} when updating, so that its resourceVersion makes the
   * write optimistic and whatever else its owner (us) or the cluster put on it stays.
   */
  Secret shape(String namespace, Secret source, Secret current) {
    String name = source.getMetadata().getName();
    SecretBuilder b = current == null
        ? new SecretBuilder().withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
        : new SecretBuilder(current);
    return b.editMetadata()
          .addToLabels(Ownership.MANAGED_BY, Ownership.MANAGER)
          .addToAnnotations(Ownership.SOURCE_ANNOTATION, sourceNamespace + "/" + name)
          .addToAnnotations(Ownership.SOURCE_VERSION_ANNOTATION, source.getMetadata().getResourceVersion())
        .endMetadata()
        .withType(SecretView.type(source))
        .withData(SecretView.data(source))
        .withStringData(null)
        .build();
  }

  /**
   * Creates the copy of {@code source} in {@code namespace}. On AlreadyExists (another replica, a concurrent attempt
   * or a user got there first) reads what is there instead.
   */
  Created create(String namespace, Secret source) {
    limiter.acquire(WriteLimiter.Priority.ADMISSION);
    try {
      return new Created(client.secrets().inNamespace(namespace).resource(shape(namespace, source, null)).create(),
          true);
    } catch (KubernetesClientException e) {
      if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
        throw e;
      }
    }
    return new Created(read(namespace, source.getMetadata().getName()), false);
  }

  /** Brings {@code copy} (ours) in line with {@code source}; a conflict means someone changed it meanwhile. */
  Secret update(Secret copy, Secret source) {
    limiter.acquire(WriteLimiter.Priority.BACKGROUND);
    return client.secrets().inNamespace(copy.getMetadata().getNamespace())
        .resource(shape(copy.getMetadata().getNamespace(), source, copy)).update();
  }

  /** The secret {@code name} in {@code namespace} as the API server has it now, or null. */
  Secret read(String namespace, String name) {
    return client.secrets().inNamespace(namespace).withName(name).get();
  }
}
