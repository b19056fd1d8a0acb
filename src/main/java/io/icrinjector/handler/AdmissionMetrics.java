package io.icrinjector.handler;

import io.icrinjector.engine.ImageChange;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The admission metrics Prometheus scrapes from the management interface ({@code /q/metrics}). Meters are looked
 * up once and cached, so recording costs a few atomic adds on the hot path.
 */
@ApplicationScoped
public class AdmissionMetrics {

  /** How an admission ended, the {@code result} tag of {@code icr_injector_admissions_total}. */
  public enum Result {
    /** A patch went back. */
    PATCHED,
    /** Looked at; nothing to change. */
    UNCHANGED,
    /** Not looked at: not a pod create, mirror pod, opted out. */
    SKIPPED,
    /** Audit: findings reported, nothing changed. */
    AUDITED,
    /** HTTP 400: the review could not be read. */
    BAD_REQUEST,
    /** HTTP 413: the body is larger than the limit; not read. */
    TOO_LARGE,
    /** HTTP 503: the review would pass the bytes in flight ({@code icr.max-bytes-in-flight}); not read. */
    OVERLOADED,
    /** HTTP 500: a bug in icr-injector; the webhook's failurePolicy decides. */
    ERROR
  }

  private final MeterRegistry registry;

  /** By endpoint and result, made on first use (a meter exists only once it counts something). */
  private final Counter[][] admissions =
      new Counter[Endpoint.values().length][Result.values().length];

  private final Map<String, Counter> rewrites = new ConcurrentHashMap<>();
  private final Counter pullSecretsAttached;
  private final Counter auditFindings;
  private final Timer latency;

  /** CDI constructor. */
  public AdmissionMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.pullSecretsAttached =
        Counter.builder("icr_injector_pull_secrets_attached")
            .description("Pull secret references added to pods")
            .register(registry);
    this.auditFindings =
        Counter.builder("icr_injector_audit_findings")
            .description("Changes audit mode reported without making them")
            .register(registry);
    this.latency =
        Timer.builder("icr_injector_admission_duration")
            .description("Time from reading a review to its answer, secret copy included")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1).dividedBy(20))
            .maximumExpectedValue(Duration.ofSeconds(10))
            .register(registry);
  }

  void admission(Endpoint path, Result result, long startNanos) {
    count(path, result);
    latency.record(System.nanoTime() - startNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
  }

  /**
   * Counts a review the door answered without handing it to the handler (too large, over the bytes in flight,
   * a failure of the HTTP layer); no latency is recorded, since no review was read.
   */
  public void refused(Endpoint path, Result result) {
    count(path, result);
  }

  private void count(Endpoint path, Result result) {
    Counter counter = admissions[path.ordinal()][result.ordinal()];
    if (counter == null) {
      // A race only registers the same meter twice: the registry hands back the one it has.
      counter =
          Counter.builder("icr_injector_admissions")
              .description("Admission reviews answered, by endpoint and outcome")
              .tag("path", path.path())
              .tag("result", result.name().toLowerCase(java.util.Locale.ROOT))
              .register(registry);
      admissions[path.ordinal()][result.ordinal()] = counter;
    }
    counter.increment();
  }

  void rewrites(List<ImageChange> changes) {
    for (ImageChange c : changes) {
      rewrites
          .computeIfAbsent(
              c.fromHost() + '|' + c.toHost(),
              k ->
                  Counter.builder("icr_injector_rewrites")
                      .description("Images moved from a deprecated host")
                      .tag("from_host", c.fromHost())
                      .tag("to_host", c.toHost())
                      .register(registry))
          .increment();
    }
  }

  void pullSecretsAttached(int count) {
    if (count > 0) {
      pullSecretsAttached.increment(count);
    }
  }

  void auditFindings(int count) {
    if (count > 0) {
      auditFindings.increment(count);
    }
  }
}
