package io.icrinjector.secrets;

import io.fabric8.kubernetes.api.model.Secret;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The replicator's in-memory picture of the watched secrets, by name then namespace. The watch is the authority;
 * the results of the replicator's own API calls fill the gap between a write and its watch event, so that the
 * next pod of a namespace needs no API call, but never override what the watch has already reported.
 *
 * <p>A deleted secret stays as a tombstone (its UID), so that a create result that arrives after the watch has
 * already reported the creation and the deletion of the same object cannot bring it back to life.
 */
final class SecretView {

  private record Entry(Secret secret, boolean deleted) {
    String uid() {
      return secret.getMetadata().getUid();
    }
  }

  private final Map<String, Map<String, Entry>> byName = new ConcurrentHashMap<>();

  /** The live secret {@code name} in {@code namespace}, or null. */
  Secret get(String namespace, String name) {
    Map<String, Entry> byNamespace = byName.get(name);
    if (byNamespace == null) {
      return null;
    }
    Entry e = byNamespace.get(namespace);
    return e == null || e.deleted() ? null : e.secret();
  }

  /** Every live secret called {@code name}. */
  List<Secret> all(String name) {
    Map<String, Entry> byNamespace = byName.get(name);
    List<Secret> live = new ArrayList<>();
    if (byNamespace != null) {
      for (Entry e : byNamespace.values()) {
        if (!e.deleted()) {
          live.add(e.secret());
        }
      }
    }
    return live;
  }

  /** The watch reported {@code secret} added or changed. */
  void observed(Secret secret) {
    namespaces(secret).put(secret.getMetadata().getNamespace(), new Entry(secret, false));
  }

  /**
   * The watch reported {@code secret} deleted. The tombstone keeps only the identity the comparisons need (name,
   * namespace, UID, resourceVersion), not the credentials: namespaces come and go for the life of the process.
   */
  void observedDeleted(Secret secret) {
    Secret tombstone = new io.fabric8.kubernetes.api.model.SecretBuilder().withNewMetadata()
        .withName(secret.getMetadata().getName()).withNamespace(secret.getMetadata().getNamespace())
        .withUid(secret.getMetadata().getUid()).withResourceVersion(secret.getMetadata().getResourceVersion())
        .endMetadata().build();
    namespaces(secret).put(secret.getMetadata().getNamespace(), new Entry(tombstone, true));
  }

  /**
   * An API call of ours returned {@code secret}. Taken only when the watch knows nothing newer of that object:
   * the watch's knowledge of another object, or of this one's deletion, wins.
   */
  void learned(Secret secret) {
    Entry fresh = new Entry(secret, false);
    namespaces(secret).compute(secret.getMetadata().getNamespace(), (ns, old) -> {
      if (old == null) {
        return fresh;
      }
      if (!Objects.equals(old.uid(), fresh.uid())) {
        return old.deleted() ? fresh : old;
      }
      return !old.deleted() && newer(secret, old.secret()) ? fresh : old;
    });
  }

  private Map<String, Entry> namespaces(Secret secret) {
    return byName.computeIfAbsent(secret.getMetadata().getName(), n -> new ConcurrentHashMap<>());
  }

  /**
   * Resource versions are opaque to clients, but every API server in use numbers them from etcd revisions; when
   * they are not numbers, the older knowledge is kept, which at worst costs one redundant API call.
   */
  private static boolean newer(Secret a, Secret b) {
    try {
      return Long.parseLong(a.getMetadata().getResourceVersion())
          > Long.parseLong(b.getMetadata().getResourceVersion());
    } catch (NumberFormatException | NullPointerException e) {
      return false;
    }
  }

  /** Whether two secrets hold the same type and data, the only parts a copy takes from its source. */
  static boolean sameContent(Secret a, Secret b) {
    return type(a).equals(type(b)) && data(a).equals(data(b));
  }

  /** A secret's type; the API server's default when unset. */
  static String type(Secret s) {
    return s.getType() == null || s.getType().isEmpty() ? "Opaque" : s.getType();
  }

  /** A secret's data, never null. */
  static Map<String, String> data(Secret s) {
    return s.getData() == null ? Map.of() : s.getData();
  }
}
