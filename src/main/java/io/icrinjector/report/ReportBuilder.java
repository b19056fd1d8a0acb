package io.icrinjector.report;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.ListOptions;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.icrinjector.config.IcrConfig;
import io.icrinjector.engine.MutationEngine;
import io.icrinjector.engine.RewriteRules;
import io.icrinjector.secrets.Ownership;
import io.icrinjector.report.MigrationReport.Finding;
import io.icrinjector.report.MigrationReport.NamespaceReport;
import io.icrinjector.report.MigrationReport.SecretState;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Builds the {@link MigrationReport} from the cluster with read-only list calls (one per kind, cluster-wide).
 * Objects whose template a controller owns are left to that controller's line: ReplicaSets of Deployments and
 * Jobs of CronJobs would repeat their owner's finding (and old ReplicaSets keep old images in their history).
 * Pods are listed whatever owns them: they show what is running now.
 */
@ApplicationScoped
public class ReportBuilder {

  /** Label that opts a namespace in. */
  public static final String INJECT_LABEL = "icr-injector.io/inject";

  private static final long PAGE = 500;

  private final KubernetesClient client;
  private final MutationEngine engine;
  private final RewriteRules rules;
  private final IcrConfig config;

  /** CDI constructor. */
  public ReportBuilder(KubernetesClient client, RewriteRules rules, IcrConfig config) {
    this.client = client;
    this.engine = new MutationEngine(rules);
    this.rules = rules;
    this.config = config;
  }

  /** Lists the cluster and builds the report; API errors propagate with the server's message. */
  public MigrationReport build() {
    Map<String, List<Finding>> findings = new TreeMap<>();
    pages(o -> client.pods().inAnyNamespace().list(o), p -> scan(findings, p, Pod::getSpec));
    pages(o -> client.apps().deployments().inAnyNamespace().list(o),
        p -> scan(findings, p, d -> d.getSpec().getTemplate().getSpec()));
    pages(o -> client.apps().statefulSets().inAnyNamespace().list(o),
        p -> scan(findings, p, d -> d.getSpec().getTemplate().getSpec()));
    pages(o -> client.apps().daemonSets().inAnyNamespace().list(o),
        p -> scan(findings, p, d -> d.getSpec().getTemplate().getSpec()));
    pages(o -> client.apps().replicaSets().inAnyNamespace().list(o),
        p -> scan(findings, p.stream().filter(r -> !ownedBy(r, "Deployment")).toList(), r -> r.getSpec().getTemplate().getSpec()));
    pages(o -> client.batch().v1().jobs().inAnyNamespace().list(o),
        p -> scan(findings, p.stream().filter(j -> !ownedBy(j, "CronJob")).toList(), j -> j.getSpec().getTemplate().getSpec()));
    pages(o -> client.batch().v1().cronjobs().inAnyNamespace().list(o),
        p -> scan(findings, p, c -> c.getSpec().getJobTemplate().getSpec().getTemplate().getSpec()));

    Map<String, Map<String, String>> secretStates = new TreeMap<>();
    for (String name : rules.secretNames()) {
      for (Secret s : client.secrets().inAnyNamespace().withField("metadata.name", name).list().getItems()) {
        String state = Ownership.isOurs(s) ? "managed" : "present";
        secretStates.computeIfAbsent(s.getMetadata().getNamespace(), k -> new TreeMap<>()).put(name, state);
      }
    }

    List<NamespaceReport> namespaces = new ArrayList<>();
    int total = 0;
    for (Namespace ns : client.namespaces().list().getItems()) {
      String name = ns.getMetadata().getName();
      String mode = labels(ns).getOrDefault(INJECT_LABEL, "none");
      List<Finding> nsFindings = findings.getOrDefault(name, List.of());
      if (nsFindings.isEmpty() && mode.equals("none")) {
        continue;
      }
      List<SecretState> states = rules.secretNames().stream()
          .map(s -> new SecretState(s, secretStates.getOrDefault(name, Map.of()).getOrDefault(s, "missing"))).toList();
      namespaces.add(new NamespaceReport(name, mode, states, nsFindings));
      total += nsFindings.size();
    }
    namespaces.sort((a, b) -> a.name().compareTo(b.name()));
    return new MigrationReport(config.sourceNamespace(), namespaces, total);
  }

  /**
   * Lists in pages of {@value #PAGE} so that a big cluster's report never holds every pod at once in the webhook's
   * small heap; only the findings are kept.
   */
  private static <T extends HasMetadata, L extends KubernetesResourceList<T>> void pages(Function<ListOptions, L> list,
      Consumer<List<T>> page) {
    String next = null;
    do {
      L result = list.apply(new ListOptionsBuilder().withLimit(PAGE).withContinue(next).build());
      page.accept(result.getItems());
      next = result.getMetadata() == null ? null : result.getMetadata().getContinue();
    } while (next != null && !next.isEmpty());
  }

  private <T extends HasMetadata> void scan(Map<String, List<Finding>> out, List<T> objects, Function<T, PodSpec> spec) {
    for (T o : objects) {
      PodSpec podSpec = spec.apply(o);
      if (podSpec == null) {
        continue;
      }
      Map<String, String> images = new java.util.LinkedHashMap<>(); // container name -> image, in spec order
      Stream.of(podSpec.getInitContainers(), podSpec.getContainers()).filter(Objects::nonNull)
          .flatMap(List::stream).forEach(c -> images.put(c.getName(), c.getImage()));
      if (podSpec.getEphemeralContainers() != null) {
        podSpec.getEphemeralContainers().forEach(c -> images.put(c.getName(), c.getImage()));
      }
      images.forEach((container, image) -> {
        String replacement = image == null ? null : engine.replacementOf(image);
        if (replacement != null) {
          out.computeIfAbsent(o.getMetadata().getNamespace(), k -> new ArrayList<>()).add(new Finding(o.getKind(),
              o.getMetadata().getName(), container, image, replacement.equals(image) ? null : replacement));
        }
      });
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
