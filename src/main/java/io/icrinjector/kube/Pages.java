package io.icrinjector.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.ListOptions;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A cluster-wide list read in pages ({@code limit}/{@code continue}), each handed over and dropped before the next is
 * asked for: the heap holds one page, never the cluster. What the caller keeps of a page is its own bound.
 */
public final class Pages {

  /** Objects per page: a page of pods is a few MiB at most. */
  public static final long SIZE = 500;

  private Pages() {}

  /**
   * Hands every page of {@code list} to {@code page}, in order.
   *
   * @return how many pages were read
   */
  public static <T extends HasMetadata, L extends KubernetesResourceList<T>> int each(
      Function<ListOptions, L> list, long size, Consumer<List<T>> page) {
    String next = null;
    int pages = 0;
    do {
      L result = list.apply(new ListOptionsBuilder().withLimit(size).withContinue(next).build());
      pages++;
      page.accept(result.getItems());
      next = result.getMetadata() == null ? null : result.getMetadata().getContinue();
    } while (next != null && !next.isEmpty());
    return pages;
  }

  /** {@link #each} with pages of {@link #SIZE}. */
  public static <T extends HasMetadata, L extends KubernetesResourceList<T>> int each(
      Function<ListOptions, L> list, Consumer<List<T>> page) {
    return each(list, SIZE, page);
  }
}
