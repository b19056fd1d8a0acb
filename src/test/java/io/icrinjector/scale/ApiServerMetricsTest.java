package io.icrinjector.scale;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ApiServerMetricsTest {

  static final String BEFORE =
      """
      # HELP apiserver_request_total [STABLE] Counter of apiserver requests broken out for each verb, ...
      # TYPE apiserver_request_total counter
      apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="secrets",scope="resource",subresource="",verb="PUT",version="v1"} 3
      apiserver_request_total{code="201",component="apiserver",dry_run="",group="",resource="events",scope="resource",subresource="",verb="POST",version="v1"} 1
      apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="secrets",scope="cluster",subresource="",verb="LIST",version="v1"} 2
      apiserver_request_total{code="200",component="",dry_run="",group="",resource="",scope="",subresource="/metrics",verb="GET",version=""} 7
      apiserver_request_total_other{code="200",resource="secrets",verb="PUT"} 99
      """;
  static final String AFTER =
      """
      apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="secrets",scope="resource",subresource="",verb="PUT",version="v1"} 1.203e+03
      apiserver_request_total{code="409",component="apiserver",dry_run="",group="",resource="secrets",scope="resource",subresource="",verb="PUT",version="v1"} 4
      apiserver_request_total{code="201",component="apiserver",dry_run="",group="events.k8s.io",resource="events",scope="resource",subresource="",verb="POST",version="v1"} 10
      apiserver_request_total{code="201",component="apiserver",dry_run="",group="",resource="events",scope="resource",subresource="",verb="POST",version="v1"} 1
      apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="secrets",scope="cluster",subresource="",verb="LIST",version="v1"} 5
      apiserver_request_total{code="200",component="",dry_run="",group="",resource="",scope="",subresource="/metrics",verb="GET",version=""} 9
      """;

  @Test
  void deltasCountWritesOfCopiesAndEventsOfEitherGroupAndLeaveNonResourceRequestsOut() {
    ApiServerMetrics.Counts d = ApiServerMetrics.parse(AFTER).minus(ApiServerMetrics.parse(BEFORE));
    assertThat(d.writes("secrets")).isEqualTo(1200 + 4);
    assertThat(d.writes("events")).isEqualTo(10);
    assertThat(d.copyWrites()).isEqualTo(1214);
    assertThat(d.code("409")).isEqualTo(4);
    assertThat(d.total()).isEqualTo(1200 + 4 + 10 + 3);
  }
}
