package io.icrinjector.secrets;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Secret;
import io.icrinjector.kube.Labels;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A secret as the replicator keeps it in memory: identity (name, namespace, UID, resourceVersion), type, our
 * ownership label and the {@code icr-injector.io/} annotations, and a SHA-256 digest of its type and data. A copy
 * (any namespace but the source's) keeps the digest and the names of its data keys instead of the data: comparing a
 * copy with its source needs no more, and an update patches it ({@link CopyWriter#update}). The source keeps its data
 * too, since copies are made from it. Everything else (managedFields, other labels and annotations, owner references)
 * is dropped: one is kept per opted-in namespace, for the life of the process.
 *
 * <p>A subclass rather than an annotation carries the digest, so that nothing a user writes on a secret can pass for
 * it; it is never sent to the API server.
 */
final class SlimSecret extends Secret {

  private final String digest;
  private final List<String> dataKeys;

  private SlimSecret(String digest, List<String> dataKeys) {
    this.digest = digest;
    this.dataKeys = dataKeys;
  }

  /**
   * {@code s} as memory keeps it; {@code s} itself when it is slim already, so applying it again changes nothing.
   *
   * @param sourceNamespace the source's namespace, where secrets keep their data
   */
  static Secret of(Secret s, String sourceNamespace) {
    if (s == null || s instanceof SlimSecret) {
      return s;
    }
    ObjectMeta from = s.getMetadata();
    Map<String, String> data = SecretView.data(s);
    boolean source = sourceNamespace.equals(from.getNamespace());
    List<String> keys = new ArrayList<>(data.size());
    data.keySet().stream().sorted().forEach(k -> keys.add(k.intern()));
    SlimSecret slim =
        new SlimSecret(digestOf(SecretView.type(s), data), source ? List.of() : List.copyOf(keys));
    ObjectMeta meta = new ObjectMeta();
    meta.setName(intern(from.getName()));
    meta.setNamespace(from.getNamespace());
    meta.setUid(from.getUid());
    meta.setResourceVersion(from.getResourceVersion());
    meta.setLabels(Labels.isOurs(s) ? Map.of(Labels.MANAGED_BY, Labels.MANAGER) : null);
    meta.setAnnotations(ours(from.getAnnotations()));
    meta.setFinalizers(null);
    meta.setManagedFields(null);
    meta.setOwnerReferences(null);
    meta.setAdditionalProperties(null);
    slim.setMetadata(meta);
    slim.setType(intern(SecretView.type(s)));
    slim.setData(source ? Map.copyOf(data) : null);
    slim.setStringData(null);
    slim.setImmutable(s.getImmutable());
    slim.setAdditionalProperties(null);
    return slim;
  }

  /** The digest of {@code s}'s type and data: kept for a slim secret, computed for any other. */
  static String digest(Secret s) {
    return s instanceof SlimSecret slim
        ? slim.digest
        : digestOf(SecretView.type(s), SecretView.data(s));
  }

  /**
   * The names of {@code s}'s data keys, sorted; for a slim copy, those it had when memory last saw it. An update
   * removes those that its source no longer has.
   */
  static List<String> dataKeys(Secret s) {
    if (s instanceof SlimSecret slim && slim.getData() == null) {
      return slim.dataKeys;
    }
    return SecretView.data(s).keySet().stream().sorted().toList();
  }

  /** SHA-256 over the type and the sorted data entries, each field ended by a NUL (which no key or base64 holds). */
  private static String digestOf(String type, Map<String, String> data) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
    update(sha, type);
    for (Map.Entry<String, String> e : new TreeMap<>(data).entrySet()) {
      update(sha, e.getKey());
      update(sha, e.getValue() == null ? "" : e.getValue());
    }
    return Base64.getEncoder().encodeToString(sha.digest());
  }

  private static void update(MessageDigest sha, String field) {
    sha.update(field.getBytes(StandardCharsets.UTF_8));
    sha.update((byte) 0);
  }

  /** Our annotations only (they name the source and its version), or null when there are none. */
  private static Map<String, String> ours(Map<String, String> annotations) {
    if (annotations == null || annotations.isEmpty()) {
      return null;
    }
    Map<String, String> kept = new HashMap<>(2);
    annotations.forEach(
        (k, v) -> {
          if (k.startsWith(Labels.PREFIX) && v != null) {
            // Thousands of copies name the same source and version: one string each, not one per
            // copy.
            kept.put(k.intern(), v.intern());
          }
        });
    return kept.isEmpty() ? null : Map.copyOf(kept);
  }

  private static String intern(String s) {
    return s == null ? null : s.intern();
  }
}
