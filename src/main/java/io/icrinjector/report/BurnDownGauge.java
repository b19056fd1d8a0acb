package io.icrinjector.report;

import io.icrinjector.config.IcrConfig;
import io.icrinjector.kube.KubeErrors;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * The migration burn-down as metrics: {@code icr_injector_deprecated_images{namespace,kind}} is the number of pods
 * and workload templates that still name a deprecated host, as {@code /report} classifies them (ReplicaSets of
 * Deployments and Jobs of CronJobs are left to their owner). One thread of its own rebuilds the report every
 * {@code icr.report.refresh-interval}, after the previous refresh ended, so two never overlap and the API server
 * sees one paged list per kind per interval. A series whose count falls to zero is removed (not kept at 0), so the
 * gauge never grows with namespaces that are gone. A failed refresh keeps the last values and counts an error.
 *
 * <p>A refresh holds one page of a list and a count per namespace and kind ({@link ReportBuilder#counts}), never the
 * cluster. Past {@code icr.report.max-series} series, the namespaces with the fewest objects are summed per kind under
 * {@code namespace="(other)"}; {@code icr_injector_deprecated_images_folded_namespaces} says how many, and a warning
 * is logged when that number changes.
 */
@ApplicationScoped
public class BurnDownGauge {

  private static final Logger LOG = Logger.getLogger(BurnDownGauge.class);

  /** How long after start the first refresh runs (sooner when the interval is shorter). */
  static final long FIRST_REFRESH_MILLIS = 2_000;

  private final ReportBuilder builder;
  private final MultiGauge images;
  private final Counter errors;
  private final AtomicLong lastSuccess = new AtomicLong();
  private final AtomicInteger folded = new AtomicInteger();
  private final int maxSeries;
  private ScheduledExecutorService timer;

  /** CDI constructor. */
  public BurnDownGauge(ReportBuilder builder, MeterRegistry registry, IcrConfig config) {
    this.builder = builder;
    this.maxSeries = Math.max(1, config.report().maxSeries());
    this.images =
        MultiGauge.builder("icr_injector_deprecated_images")
            .description(
                "Pods and workload templates that still name a deprecated host, by namespace and kind")
            .register(registry);
    this.errors =
        Counter.builder("icr_injector_deprecated_images_refresh_errors")
            .description(
                "Refreshes of icr_injector_deprecated_images that failed (the last values stay)")
            .register(registry);
    Gauge.builder(
            "icr_injector_deprecated_images_last_refresh_seconds", lastSuccess, AtomicLong::get)
        .description(
            "Unix time of the last successful refresh of icr_injector_deprecated_images (0: none yet)")
        .register(registry);
    Gauge.builder("icr_injector_deprecated_images_folded_namespaces", folded, AtomicInteger::get)
        .description(
            "Namespaces summed under namespace=\"(other)\" to keep icr_injector_deprecated_images within "
                + "icr.report.max-series")
        .register(registry);
  }

  void start(@Observes StartupEvent event, IcrConfig config) {
    Duration interval = config.report().refreshInterval();
    if (interval.isZero() || interval.isNegative()) {
      return;
    }
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "icr-burndown");
              t.setDaemon(true);
              return t;
            });
    // The first refresh (a cluster-wide list) waits out the start: at once, it took 0.17 s of CPU
    // from the two
    // cores the start and the first answers share.
    timer.scheduleWithFixedDelay(
        this::refresh,
        Math.min(FIRST_REFRESH_MILLIS, interval.toMillis()),
        interval.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  void stop(@Observes ShutdownEvent event) {
    if (timer != null) {
      timer.shutdownNow();
    }
  }

  /** One refresh: lists the cluster and replaces every series; on failure keeps them and counts the error. */
  void refresh() {
    try {
      Rows r = rows(builder.counts(), maxSeries);
      images.register(
          r.series().stream()
              .<MultiGauge.Row<?>>map(
                  x ->
                      MultiGauge.Row.of(
                          Tags.of("namespace", x.namespace(), "kind", x.kind()), x.count()))
              .toList(),
          true);
      if (folded.getAndSet(r.folded()) != r.folded() && r.folded() > 0) {
        LOG.warnf(
            "icr_injector_deprecated_images: %d namespaces summed under namespace=\"(other)\" to stay within "
                + "icr.report.max-series=%d",
            r.folded(), maxSeries);
      }
      lastSuccess.set(System.currentTimeMillis() / 1000);
    } catch (RuntimeException e) {
      errors.increment();
      LOG.warnf("burn-down gauge not refreshed (last values kept): %s", KubeErrors.describe(e));
    }
  }

  /** One series of the gauge. */
  record Series(String namespace, String kind, long count) {}

  /** The series of one refresh, and how many namespaces were folded into {@code (other)}. */
  record Rows(List<Series> series, int folded) {}

  /**
   * Objects (not containers) per namespace and kind, at most {@code maxSeries} series: past it, the namespaces with the
   * fewest objects are summed per kind under {@code namespace="(other)"} (which takes series of its own).
   */
  static Rows rows(Map<String, Map<String, Long>> counts, int maxSeries) {
    int series = counts.values().stream().mapToInt(Map::size).sum();
    List<Map.Entry<String, Map<String, Long>>> byWeight = new ArrayList<>(counts.entrySet());
    byWeight.sort(
        Comparator.comparingLong((Map.Entry<String, Map<String, Long>> e) -> -total(e.getValue()))
            .thenComparing(Map.Entry::getKey));
    // When anything is folded, room is left for one (other) series per kind.
    long kinds = counts.values().stream().flatMap(m -> m.keySet().stream()).distinct().count();
    long room = series > maxSeries ? Math.max(0, maxSeries - kinds) : series;
    List<Series> rows = new ArrayList<>();
    Map<String, Long> other = new TreeMap<>();
    int kept = 0;
    int folded = 0;
    for (Map.Entry<String, Map<String, Long>> ns : byWeight) {
      if (kept + ns.getValue().size() > room) {
        ns.getValue().forEach((kind, n) -> other.merge(kind, n, Long::sum));
        folded++;
        continue;
      }
      kept += ns.getValue().size();
      ns.getValue().forEach((kind, n) -> rows.add(new Series(ns.getKey(), kind, n)));
    }
    other.forEach((kind, n) -> rows.add(new Series("(other)", kind, n)));
    return new Rows(rows, folded);
  }

  private static long total(Map<String, Long> byKind) {
    return byKind.values().stream().mapToLong(Long::longValue).sum();
  }
}
