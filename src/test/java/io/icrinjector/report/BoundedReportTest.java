package io.icrinjector.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ListMetaBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodListBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.icrinjector.config.IcrConfig;
import io.icrinjector.engine.DefaultRules;
import io.icrinjector.kube.Labels;
import io.icrinjector.kube.Pages;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Issue 20: the report and the gauge never hold a cluster. Lists are read page by page (asked with {@code limit},
 * followed by {@code continue}); a report stops keeping findings and namespaces at its bounds and says how many it left
 * out; the gauge keeps counts and folds the smallest namespaces past its series bound.
 */
class BoundedReportTest {

  @Test
  void pagesAreAskedWithALimitAndFollowedToTheEnd() {
    List<String> asked = new ArrayList<>();
    List<Integer> sizes = new ArrayList<>();
    int pages =
        Pages.each(
            o -> {
              asked.add(o.getLimit() + "/" + o.getContinue());
              int from = o.getContinue() == null ? 0 : Integer.parseInt(o.getContinue());
              int to = Math.min(from + o.getLimit().intValue(), 5);
              List<Pod> items =
                  IntStream.range(from, to)
                      .mapToObj(
                          i ->
                              new PodBuilder()
                                  .withNewMetadata()
                                  .withName("p" + i)
                                  .endMetadata()
                                  .build())
                      .toList();
              return new PodListBuilder()
                  .withItems(items)
                  .withMetadata(
                      new ListMetaBuilder()
                          .withContinue(to < 5 ? String.valueOf(to) : null)
                          .build())
                  .build();
            },
            2,
            page -> sizes.add(page.size()));

    assertThat(pages).isEqualTo(3);
    assertThat(asked).containsExactly("2/null", "2/2", "2/4");
    assertThat(sizes).containsExactly(2, 2, 1);
  }

  @Test
  void aReportPastItsBoundsSaysWhatItLeftOutAndTheGaugeStillCountsAll() {
    KubernetesMockServer server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new KubernetesCrudDispatcher(),
            false);
    server.init();
    KubernetesClient client = server.createClient();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try {
      for (int n = 0; n < 4; n++) {
        String ns = "team-" + n;
        client
            .namespaces()
            .resource(
                new NamespaceBuilder()
                    .withNewMetadata()
                    .withName(ns)
                    .addToLabels(Labels.INJECT, "enabled")
                    .endMetadata()
                    .build())
            .create();
        for (int p = 0; p < 3; p++) {
          client
              .pods()
              .inNamespace(ns)
              .resource(
                  new PodBuilder()
                      .withNewMetadata()
                      .withName("web-" + p)
                      .endMetadata()
                      .withNewSpec()
                      .addNewContainer()
                      .withName("web")
                      .withImage("registry.ng.bluemix.net/acme/web:1")
                      .endContainer()
                      .endSpec()
                      .build())
              .create();
        }
      }
      ReportBuilder builder = new ReportBuilder(client, DefaultRules.of(), config(5, 3), registry);

      MigrationReport report = builder.build();

      assertThat(report.findings()).as("every finding is counted").isEqualTo(12);
      assertThat(report.namespaces()).hasSize(3);
      assertThat(report.namespaces().stream().mapToInt(n -> n.findings().size()).sum())
          .isLessThanOrEqualTo(5);
      assertThat(report.omittedNamespaces()).isEqualTo(1);
      assertThat(report.omittedFindings())
          .isEqualTo(12 - report.namespaces().stream().mapToInt(n -> n.findings().size()).sum());
      assertThat(report.truncated()).isTrue();
      assertThat(ReportFormat.table(report))
          .contains(
              "TRUNCATED: "
                  + report.omittedFindings()
                  + " finding(s) and 1 "
                  + "namespace(s) left out");
      assertThat(registry.get("icr_injector_report_truncated").counter().count()).isEqualTo(1);

      assertThat(builder.counts())
          .isEqualTo(
              Map.of(
                  "team-0",
                  Map.of("Pod", 3L),
                  "team-1",
                  Map.of("Pod", 3L),
                  "team-2",
                  Map.of("Pod", 3L),
                  "team-3",
                  Map.of("Pod", 3L)));
    } finally {
      client.close();
      server.destroy();
    }
  }

  /** Namespaces that are not opted in but have findings, past max-namespaces: counted as left out, never lost. */
  @Test
  void namespacesWithFindingsPastTheBoundAreCountedAsLeftOut() {
    KubernetesMockServer server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new KubernetesCrudDispatcher(),
            false);
    server.init();
    KubernetesClient client = server.createClient();
    try {
      for (int n = 0; n < 4; n++) {
        String ns = "plain-" + n;
        client
            .namespaces()
            .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
            .create();
        for (int p = 0; p < 3; p++) {
          client
              .pods()
              .inNamespace(ns)
              .resource(
                  new PodBuilder()
                      .withNewMetadata()
                      .withName("web-" + p)
                      .endMetadata()
                      .withNewSpec()
                      .addNewContainer()
                      .withName("web")
                      .withImage("registry.ng.bluemix.net/acme/web:1")
                      .endContainer()
                      .endSpec()
                      .build())
              .create();
        }
      }

      MigrationReport report =
          new ReportBuilder(client, DefaultRules.of(), config(100, 2), new SimpleMeterRegistry())
              .build();

      assertThat(report.findings()).isEqualTo(12);
      assertThat(report.namespaces())
          .hasSize(2)
          .allSatisfy(
              n -> {
                assertThat(n.mode()).isEqualTo("none");
                assertThat(n.findings()).as("a namespace shown has all its findings").hasSize(3);
              });
      assertThat(report.omittedNamespaces()).isEqualTo(2);
      assertThat(report.omittedFindings()).isEqualTo(6);
    } finally {
      client.close();
      server.destroy();
    }
  }

  @Test
  void theGaugeFoldsTheSmallestNamespacesPastItsSeriesBound() {
    Map<String, Map<String, Long>> counts = new TreeMap<>();
    for (int n = 0; n < 10; n++) {
      counts.put("ns-" + n, Map.of("Pod", (long) n + 1, "Deployment", 1L));
    }

    BurnDownGauge.Rows all = BurnDownGauge.rows(counts, 100);
    assertThat(all.series()).hasSize(20);
    assertThat(all.folded()).isZero();

    BurnDownGauge.Rows bounded = BurnDownGauge.rows(counts, 8);
    assertThat(bounded.series()).hasSizeLessThanOrEqualTo(8);
    assertThat(bounded.folded()).isEqualTo(7);
    Map<String, Long> byNamespace = new TreeMap<>();
    long total = 0;
    for (BurnDownGauge.Series r : bounded.series()) {
      total += r.count();
      byNamespace.merge(r.namespace(), r.count(), Long::sum);
    }
    assertThat(byNamespace).containsOnlyKeys("ns-9", "ns-8", "ns-7", "(other)");
    assertThat(total)
        .as("folding loses no object")
        .isEqualTo(IntStream.rangeClosed(1, 10).sum() + 10);
  }

  /** The settings the builder reads, with these report bounds. */
  static IcrConfig config(int maxFindings, int maxNamespaces) {
    IcrConfig.Report report =
        (IcrConfig.Report)
            Proxy.newProxyInstance(
                IcrConfig.class.getClassLoader(),
                new Class<?>[] {IcrConfig.Report.class},
                (p, m, a) ->
                    switch (m.getName()) {
                      case "maxFindings" -> maxFindings;
                      case "maxNamespaces" -> maxNamespaces;
                      case "maxSeries" -> 2000;
                      default -> throw new UnsupportedOperationException(m.getName());
                    });
    return (IcrConfig)
        Proxy.newProxyInstance(
            IcrConfig.class.getClassLoader(),
            new Class<?>[] {IcrConfig.class},
            (p, m, a) ->
                switch (m.getName()) {
                  case "report" -> report;
                  case "sourceNamespace" -> "default";
                  default -> throw new UnsupportedOperationException(m.getName());
                });
  }
}
