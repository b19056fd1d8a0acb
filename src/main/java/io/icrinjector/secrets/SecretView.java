package io.icrinjector.secrets;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The replicator's in-memory picture of the watched secrets, by name then namespace. The watch is the authority;
 * the results of the replicator's own API calls fill the gap between a write and its watch event, so that the
 * next pod of a namespace needs no API call, but never override what the watch has already reported.
 *
 * <p>A deleted secret stays as a tombstone (its UID), so that a create result that arrives after the watch has
 * already reported the creation and the deletion of the same object cannot bring it back to life. That race lasts
 * as long as one API call, so a tombstone is dropped once it is {@link #TOMBSTONE_TTL_NANOS} old: namespaces come and
 * go for the life of the process, and their tombstones must not pile up.
 */
final class SecretView {

  /** How long a tombstone is kept: far longer than any API call the replicator makes can take. */
  static final long TOMBSTONE_TTL_NANOS = TimeUnit.MINUTES.toNanos(5);

  private record Entry(Secret secret, boolean deleted, long atNanos) {
    String uid() {
      return secret.getMetadata().getUid();
    }
  }

  private final Map<String, Map<String, Entry>> byName = new ConcurrentHashMap<>();
  private final LongSupplier clock;

  SecretView() {
    this(System::nanoTime);
  }

  /** A view whose tombstones age on {@code clock} (nanoseconds). */
  SecretView(LongSupplier clock) {
    this.clock = clock;
  }

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
    namespaces(secret).put(secret.getMetadata().getNamespace(), new Entry(secret, false, 0));
  }

  /**
   * The watch reported {@code secret} deleted. The tombstone keeps only the identity the comparisons need (name,
   * namespace, UID, resourceVersion), not the credentials: namespaces come and go for the life of the process.
   */
  void observedDeleted(Secret secret) {
    Secret tombstone =
        new SecretBuilder()
            .withNewMetadata()
            .withName(secret.getMetadata().getName())
            .withNamespace(secret.getMetadata().getNamespace())
            .withUid(secret.getMetadata().getUid())
            .withResourceVersion(secret.getMetadata().getResourceVersion())
            .endMetadata()
            .build();
    long now = clock.getAsLong();
    pruneTombstones(now);
    namespaces(secret).put(secret.getMetadata().getNamespace(), new Entry(tombstone, true, now));
  }

  /**
   * Drops the tombstones older than the TTL. Called on each deletion, which is when tombstones appear, so their
   * number stays bounded by the deletions of the last few minutes.
   */
  void pruneTombstones(long now) {
    for (Map<String, Entry> byNamespace : byName.values()) {
      byNamespace.values().removeIf(e -> e.deleted() && now - e.atNanos() > TOMBSTONE_TTL_NANOS);
    }
  }

  /** How many tombstones the view holds; for tests. */
  int tombstones() {
    int n = 0;
    for (Map<String, Entry> byNamespace : byName.values()) {
      for (Entry e : byNamespace.values()) {
        n += e.deleted() ? 1 : 0;
      }
    }
    return n;
  }

  /**
   * An API call of ours returned {@code secret}. Taken only when the watch knows nothing newer of that object:
   * the watch's knowledge of another object, or of this one's deletion, wins.
   */
  void learned(Secret secret) {
    Entry fresh = new Entry(secret, false, 0);
    namespaces(secret)
        .compute(
            secret.getMetadata().getNamespace(),
            (ns, old) -> {
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

  /**
   * Whether two secrets hold the same type and data, the only parts a copy takes from its source; compared by
   * digest, since memory keeps a copy's digest and not its data ({@link SlimSecret}).
   */
  static boolean sameContent(Secret a, Secret b) {
    return type(a).equals(type(b)) && SlimSecret.digest(a).equals(SlimSecret.digest(b));
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
