package io.icrinjector.secrets;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;

/**
 * The gauges of one {@link SecretReplicator}: {@code icr_injector_copies_pending} and {@code icr_injector_leader}.
 * They read the replicator (weakly) and are removed when it closes: a registry that outlives it (Quarkus's global
 * one across the test suite's restarts) would otherwise keep the dead instance's gauges and hand them to the next
 * replicator instead of registering its own.
 */
final class ReplicatorGauges {

  private final MeterRegistry registry;
  private final List<Meter> gauges;

  /** Registers the gauges of {@code replicator} in {@code registry}. */
  ReplicatorGauges(MeterRegistry registry, SecretReplicator replicator) {
    this.registry = registry;
    this.gauges =
        List.of(
            Gauge.builder(
                    "icr_injector_copies_pending", replicator, SecretReplicator::copiesPending)
                .description("Copies known to differ from their source and not yet written")
                .register(registry),
            Gauge.builder("icr_injector_leader", replicator, r -> r.leading() ? 1 : 0)
                .description(
                    "1 while this replica writes rotations (holds the rotation Lease), else 0")
                .register(registry));
  }

  /** Removes the gauges from the registry. */
  void close() {
    gauges.forEach(registry::remove);
  }
}
