package io.icrinjector.secrets;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.icrinjector.kube.KubeErrors;
import io.icrinjector.kube.Labels;
import java.net.HttpURLConnection;
import java.util.Map;

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
   * the source and its resourceVersion.
   */
  Secret shape(String namespace, Secret source) {
    String name = source.getMetadata().getName();
    return new SecretBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(namespace)
        .endMetadata()
        .editMetadata()
        .addToLabels(Labels.MANAGED_BY, Labels.MANAGER)
        .addToAnnotations(Labels.SOURCE_ANNOTATION, sourceNamespace + "/" + name)
        .addToAnnotations(
            Labels.SOURCE_VERSION_ANNOTATION, source.getMetadata().getResourceVersion())
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
      return new Created(
          client.secrets().inNamespace(namespace).resource(shape(namespace, source)).create(),
          true);
    } catch (KubernetesClientException e) {
      if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
        throw e;
      }
    }
    return new Created(read(namespace, source.getMetadata().getName()), false);
  }

  /**
   * Brings {@code copy} (ours) in line with {@code source}; a conflict means someone changed it meanwhile. A JSON
   * merge patch, not a PUT of the copy: memory keeps only a slim copy ({@link SlimSecret}), and a PUT built on it
   * would drop whatever else is on the copy (a user's labels and annotations, owner references). The patch carries
   * the copy's resourceVersion, so the write is still optimistic (409 when the copy changed since memory saw it),
   * sets our label and annotations and the source's data, and removes the data keys that the source no longer has
   * (those memory saw on the copy, which the resourceVersion proves current).
   */
  Secret update(Secret copy, Secret source) {
    limiter.acquire(WriteLimiter.Priority.BACKGROUND);
    // On resource(an object naming the copy), not withName(...): fabric8 then takes the URL from
    // the object, where
    // withName(...).patch(...) first GETs the whole secret (one more request per copy and
    // rotation). A plain Secret,
    // not the slim one: fabric8 reads the answer into the object's class.
    Secret target =
        new SecretBuilder()
            .withNewMetadata()
            .withName(copy.getMetadata().getName())
            .withNamespace(copy.getMetadata().getNamespace())
            .endMetadata()
            .build();
    return client
        .secrets()
        .inNamespace(copy.getMetadata().getNamespace())
        .resource(target)
        .patch(PatchContext.of(PatchType.JSON_MERGE), patch(copy, source));
  }

  /** The merge patch of {@link #update}, as JSON. */
  String patch(Secret copy, Secret source) {
    ObjectNode patch = JsonNodeFactory.instance.objectNode();
    ObjectNode metadata = patch.putObject("metadata");
    metadata.put("resourceVersion", copy.getMetadata().getResourceVersion());
    metadata.putObject("labels").put(Labels.MANAGED_BY, Labels.MANAGER);
    metadata
        .putObject("annotations")
        .put(Labels.SOURCE_ANNOTATION, sourceNamespace + "/" + source.getMetadata().getName())
        .put(Labels.SOURCE_VERSION_ANNOTATION, source.getMetadata().getResourceVersion());
    ObjectNode data = patch.putObject("data");
    Map<String, String> wanted = SecretView.data(source);
    SlimSecret.dataKeys(copy).stream().filter(k -> !wanted.containsKey(k)).forEach(data::putNull);
    wanted.forEach(data::put);
    return patch.toString();
  }

  /** The secret {@code name} in {@code namespace} as the API server has it now, or null. */
  Secret read(String namespace, String name) {
    return client.secrets().inNamespace(namespace).withName(name).get();
  }
}
