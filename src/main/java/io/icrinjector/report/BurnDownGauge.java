package io.icrinjector.report;

import io.icrinjector.config.IcrConfig;
import io.icrinjector.report.MigrationReport.NamespaceReport;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.icrinjector.secrets.KubeErrors;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * The migration burn-down as metrics: {@code icr_injector_deprecated_images{namespace,kind}} is the number of pods
 * and workload templates that still name a deprecated host, as {@code /report} classifies them (ReplicaSets of
 * Deployments and Jobs of CronJobs are left to their owner). One thread of its own rebuilds the report every
 * {@code icr.report.refresh-interval}, after the previous refresh ended, so two never overlap and the API server
 * sees one paged list per kind per interval. A series whose count falls to zero is removed (not kept at 0), so the
 * gauge never grows with namespaces that are gone. A failed refresh keeps the last values and counts an error.
 */
@ApplicationScoped
public class BurnDownGauge {

  private static final Logger LOG = Logger.getLogger(BurnDownGauge.class);

  private final ReportBuilder builder;
  private final MultiGauge images;
  private final Counter errors;
  private final AtomicLong lastSuccess = new AtomicLong();
  private ScheduledExecutorService timer;

  /** CDI constructor. */
  public BurnDownGauge(ReportBuilder builder, MeterRegistry registry) {
    this.builder = builder;
    this.images = MultiGauge.builder("icr_injector_deprecated_images")
        .description("Pods and workload templates that still name a deprecated host, by namespace and kind").register(registry);
    this.errors = Counter.builder("icr_injector_deprecated_images_refresh_errors")
        .description("Refreshes of icr_injector_deprecated_images that failed (the last values stay)").register(registry);
    Gauge.builder("icr_injector_deprecated_images_last_refresh_seconds", lastSuccess, AtomicLong::get)
        .description("Unix time of the last successful refresh of icr_injector_deprecated_images (0: none yet)")
        .register(registry);
  }

  void start(@Observes StartupEvent event, IcrConfig config) {
    Duration interval = config.report().refreshInterval();
    if (interval.isZero() || interval.isNegative()) {
      return;
    }
    timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "icr-burndown");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleWithFixedDelay(this::refresh, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  void stop(@Observes ShutdownEvent event) {
    if (timer != null) {
      timer.shutdownNow();
    }
  }

  /** One refresh: lists the cluster and replaces every series; on failure keeps them and counts the error. */
  void refresh() {
    try {
      images.register(rows(builder.build()), true);
      lastSuccess.set(System.currentTimeMillis() / 1000);
    } catch (RuntimeException e) {
      errors.increment();
      LOG.warnf("burn-down gauge not refreshed (last values kept): %s", KubeErrors.describe(e));
    }
  }

  /** Objects (not containers) per namespace and kind: a Deployment with two old images counts once. */
  static List<MultiGauge.Row<?>> rows(MigrationReport report) {
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    for (NamespaceReport ns : report.namespaces()) {
      Map<String, Long> byKind = ns.findings().stream().map(f -> f.kind() + "/" + f.name()).distinct()
          .collect(Collectors.groupingBy(o -> o.substring(0, o.indexOf('/')), TreeMap::new, Collectors.counting()));
      byKind.forEach((kind, count) -> rows.add(MultiGauge.Row.of(Tags.of("namespace", ns.name(), "kind", kind), count)));
    }
    return rows;
  }
}
