package io.icrinjector.report;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.icrinjector.config.IcrConfig;
import io.icrinjector.engine.MutationEngine;
import io.icrinjector.engine.RewriteRules;
import io.icrinjector.kube.Labels;
import io.icrinjector.kube.Pages;
import io.icrinjector.report.MigrationReport.Finding;
import io.icrinjector.report.MigrationReport.NamespaceReport;
import io.icrinjector.report.MigrationReport.SecretState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * Builds the {@link MigrationReport} from the cluster with read-only list calls (cluster-wide, one paged list per
 * kind: {@link Pages}). Objects whose template a controller owns are left to that controller's line: ReplicaSets of
 * Deployments and Jobs of CronJobs would repeat their owner's finding (and old ReplicaSets keep old images in their
 * history). Pods are listed whatever owns them: they show what is running now.
 *
 * <p>Nothing here holds a cluster: lists stream page by page; the gauge ({@link #counts}) keeps a count per namespace
 * and kind; a report keeps at most {@code icr.report.max-findings} findings and {@code icr.report.max-namespaces}
 * namespaces, says how many it left out, counts {@code icr_injector_report_truncated_total} and logs a warning.
 */
@ApplicationScoped
public class ReportBuilder {

  private static final Logger LOG = Logger.getLogger(ReportBuilder.class);

  /** What one object of the cluster still names on a deprecated host; called only for an object with findings. */
  @FunctionalInterface
  interface ObjectFindings {
    void accept(String namespace, String kind, List<Finding> findings);
  }

  private final KubernetesClient client;
  private final MutationEngine engine;
  private final RewriteRules rules;
  private final IcrConfig config;
  private final Counter truncated;

  /** CDI constructor. */
  public ReportBuilder(
      KubernetesClient client, RewriteRules rules, IcrConfig config, MeterRegistry registry) {
    this.client = client;
    this.engine = new MutationEngine(rules);
    this.rules = rules;
    this.config = config;
    this.truncated =
        Counter.builder("icr_injector_report_truncated")
            .description(
                "Migration reports that left findings or namespaces out (icr.report.max-findings, max-namespaces)")
            .register(registry);
  }

  /** Lists the cluster and builds the report, within its bounds; API errors propagate with the server's message. */
  public MigrationReport build() {
    int maxFindings = Math.max(0, config.report().maxFindings());
    int maxNamespaces = Math.max(0, config.report().maxNamespaces());
    Map<String, List<Finding>> findings = new HashMap<>();
    // Namespaces with findings, those left out included, so that their line still says
    // "inject=none"; as bounded.
    java.util.Set<String> withFindings = new java.util.HashSet<>();
    // Namespaces with findings past maxNamespaces: left out, but counted (their names only, as the
    // gauge keeps them).
    java.util.Set<String> overflow = new java.util.HashSet<>();
    int[] seen = {0};
    int[] kept = {0};
    scan(
        (namespace, kind, found) -> {
          seen[0] += found.size();
          if (withFindings.size() < maxNamespaces) {
            withFindings.add(namespace);
          }
          if (!withFindings.contains(namespace)) {
            overflow.add(namespace); // never shown: its findings take no slot of maxFindings
            return;
          }
          for (Finding f : found) {
            if (kept[0] < maxFindings) {
              findings.computeIfAbsent(namespace, k -> new ArrayList<>()).add(f);
              kept[0]++;
            }
          }
        });

    // The namespaces worth a line: opted in, or with findings; at most maxNamespaces, in the API
    // server's (name) order.
    Map<String, String> modes = new LinkedHashMap<>();
    int[] left = {0};
    Pages.each(
        o -> client.namespaces().list(o),
        page -> {
          for (Namespace ns : page) {
            String name = ns.getMetadata().getName();
            String mode = labels(ns).getOrDefault(Labels.INJECT, "none");
            if (overflow.contains(name)) {
              continue; // counted below: its findings were not kept, so a line for it would
              // understate them
            }
            if (mode.equals("none") && !withFindings.contains(name)) {
              continue;
            }
            if (modes.size() < maxNamespaces) {
              modes.put(name, mode.intern());
            } else {
              left[0]++;
            }
          }
        });

    Map<String, Map<String, String>> secretStates = new HashMap<>();
    for (String name : rules.secretNames()) {
      Pages.each(
          o -> client.secrets().inAnyNamespace().withField("metadata.name", name).list(o),
          page -> {
            for (Secret s : page) {
              if (modes.containsKey(s.getMetadata().getNamespace())) {
                secretStates
                    .computeIfAbsent(s.getMetadata().getNamespace(), k -> new TreeMap<>())
                    .put(name, Labels.isOurs(s) ? "managed" : "present");
              }
            }
          });
    }

    List<NamespaceReport> namespaces = new ArrayList<>(modes.size());
    int shown = 0;
    for (Map.Entry<String, String> ns : modes.entrySet()) {
      List<Finding> nsFindings = findings.getOrDefault(ns.getKey(), List.of());
      List<SecretState> states =
          rules.secretNames().stream()
              .map(
                  s ->
                      new SecretState(
                          s,
                          secretStates
                              .getOrDefault(ns.getKey(), Map.of())
                              .getOrDefault(s, "missing")))
              .toList();
      namespaces.add(new NamespaceReport(ns.getKey(), ns.getValue(), states, nsFindings));
      shown += nsFindings.size();
    }
    namespaces.sort((a, b) -> a.name().compareTo(b.name()));
    MigrationReport report =
        new MigrationReport(
            config.sourceNamespace(),
            namespaces,
            seen[0],
            seen[0] - shown,
            left[0] + overflow.size());
    if (report.truncated()) {
      truncated.increment();
      LOG.warnf(
          "migration report truncated: %d of %d findings and %d namespaces left out (icr.report.max-findings=%d,"
              + " icr.report.max-namespaces=%d)",
          report.omittedFindings(),
          report.findings(),
          report.omittedNamespaces(),
          maxFindings,
          maxNamespaces);
    }
    return report;
  }

  /**
   * Objects that still name a deprecated host, per namespace and kind, as the report classifies them; a Deployment
   * with two old images counts once. Holds one page and these counts, whatever the cluster's size.
   */
  public Map<String, Map<String, Long>> counts() {
    Map<String, Map<String, Long>> counts = new HashMap<>();
    scan(
        (namespace, kind, found) ->
            counts.computeIfAbsent(namespace, k -> new TreeMap<>()).merge(kind, 1L, Long::sum));
    return counts;
  }

  /** Pages through pods and every workload kind, handing each object with findings to {@code out}. */
  void scan(ObjectFindings out) {
    Pages.each(o -> client.pods().inAnyNamespace().list(o), p -> scan(out, p, Pod::getSpec));
    Pages.each(
        o -> client.apps().deployments().inAnyNamespace().list(o),
        p -> scan(out, p, d -> d.getSpec().getTemplate().getSpec()));
    Pages.each(
        o -> client.apps().statefulSets().inAnyNamespace().list(o),
        p -> scan(out, p, d -> d.getSpec().getTemplate().getSpec()));
    Pages.each(
        o -> client.apps().daemonSets().inAnyNamespace().list(o),
        p -> scan(out, p, d -> d.getSpec().getTemplate().getSpec()));
    Pages.each(
        o -> client.apps().replicaSets().inAnyNamespace().list(o),
        p ->
            scan(
                out,
                p.stream().filter(r -> !ownedBy(r, "Deployment")).toList(),
                r -> r.getSpec().getTemplate().getSpec()));
    Pages.each(
        o -> client.batch().v1().jobs().inAnyNamespace().list(o),
        p ->
            scan(
                out,
                p.stream().filter(j -> !ownedBy(j, "CronJob")).toList(),
                j -> j.getSpec().getTemplate().getSpec()));
    Pages.each(
        o -> client.batch().v1().cronjobs().inAnyNamespace().list(o),
        p -> scan(out, p, c -> c.getSpec().getJobTemplate().getSpec().getTemplate().getSpec()));
  }

  private <T extends HasMetadata> void scan(
      ObjectFindings out, List<T> objects, Function<T, PodSpec> spec) {
    for (T o : objects) {
      PodSpec podSpec = spec.apply(o);
      if (podSpec == null) {
        continue;
      }
      Map<String, String> images = new LinkedHashMap<>(); // container name -> image, in spec order
      Stream.of(podSpec.getInitContainers(), podSpec.getContainers())
          .filter(Objects::nonNull)
          .flatMap(List::stream)
          .forEach(c -> images.put(c.getName(), c.getImage()));
      if (podSpec.getEphemeralContainers() != null) {
        podSpec.getEphemeralContainers().forEach(c -> images.put(c.getName(), c.getImage()));
      }
      List<Finding> found = new ArrayList<>(0);
      images.forEach(
          (container, image) -> {
            String replacement = image == null ? null : engine.replacementOf(image);
            if (replacement != null) {
              found.add(
                  new Finding(
                      o.getKind(),
                      o.getMetadata().getName(),
                      container,
                      image,
                      replacement.equals(image) ? null : replacement));
            }
          });
      if (!found.isEmpty()) {
        out.accept(o.getMetadata().getNamespace(), o.getKind(), found);
      }
    }
  }

  private static boolean ownedBy(HasMetadata o, String kind) {
    List<OwnerReference> owners = o.getMetadata().getOwnerReferences();
    return owners != null && owners.stream().anyMatch(r -> kind.equals(r.getKind()));
  }

  private static Map<String, String> labels(HasMetadata o) {
    Map<String, String> labels = o.getMetadata().getLabels();
    return labels == null ? Map.of() : labels;
  }
}
