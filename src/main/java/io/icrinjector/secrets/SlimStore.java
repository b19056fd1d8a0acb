package io.icrinjector.secrets;

import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * An informer's store that keeps each object only as {@code slim} makes it: what the replicator's decisions need,
 * not the whole object (no data of a copy, no managedFields). An informer's store holds every object it watches for
 * the life of the process, so its size is the cluster's (issue 20: whole Secrets and Namespaces cost about 10 MiB of
 * heap per 1,000 opted-in namespaces). fabric8 7.5 has no transform hook on its informers, unlike client-go's
 * {@code SetTransform} that controller-runtime's {@code TransformStripManagedFields} uses, but lets the store be
 * supplied ({@code SharedIndexInformer#itemStore}); java-operator-sdk does the same with its
 * {@code TransformingItemStore}, which is not a dependency here, and this is the same dozen lines.
 *
 * <p>What the informer's event handlers see (fabric8 7.5 {@code ProcessorStore}): on an add or update from the
 * watch, the object as received (whole) as the new one and this store's slim one as the old one; on a resync, on
 * the adds deferred until the first list ends and on a deletion found by a relist, this store's slim objects; on a
 * deletion from the watch, the object as received. {@code slim} must therefore be idempotent (a slim object stays as
 * it is) and keep the resourceVersion, which the informer compares to tell an update from a replay; handlers slim
 * what they keep (see {@link SlimSecret#of}).
 *
 * @param <T> the kind of object
 */
final class SlimStore<T> implements ItemStore<T> {

  private final Map<String, T> items = new ConcurrentHashMap<>();
  private final Function<T, String> key;
  private final UnaryOperator<T> slim;

  SlimStore(Function<T, String> key, UnaryOperator<T> slim) {
    this.key = key;
    this.slim = slim;
  }

  @Override
  public String getKey(T obj) {
    return key.apply(obj);
  }

  @Override
  public T put(String k, T obj) {
    return items.put(k, slim.apply(obj));
  }

  @Override
  public T remove(String k) {
    return items.remove(k);
  }

  @Override
  public Stream<String> keySet() {
    return items.keySet().stream();
  }

  @Override
  public Stream<T> values() {
    return items.values().stream();
  }

  @Override
  public int size() {
    return items.size();
  }

  @Override
  public T get(String k) {
    return items.get(k);
  }
}
