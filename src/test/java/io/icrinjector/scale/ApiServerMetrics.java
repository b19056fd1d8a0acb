package io.icrinjector.scale;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The API server's own count of the requests it served ({@code apiserver_request_total} on {@code /metrics}),
 * by verb, resource and code: what a client did, seen from the server, whatever the client's code looks like.
 * Deltas of two snapshots count the requests in between; the API server's own background requests (its identity
 * Lease in kube-system, about one GET and one PUT every 10 s) are in them too, requests to non-resource paths
 * ({@code /metrics} itself, {@code /readyz}) are not counted.
 */
final class ApiServerMetrics {

  private static final Pattern LINE =
      Pattern.compile("^apiserver_request_total\\{([^}]*)} ([0-9.e+]+)$", Pattern.MULTILINE);
  private static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");
  private static final Set<String> WRITES =
      Set.of("POST", "PUT", "PATCH", "APPLY", "DELETE", "DELETECOLLECTION");

  private final KubernetesClient admin;

  ApiServerMetrics(KubernetesClient admin) {
    this.admin = admin;
  }

  /** One request kind: verb, resource (with its subresource) and the response code. */
  record Kind(String verb, String resource, String code) {
    @Override
    public String toString() {
      return verb + " " + resource + " " + code;
    }
  }

  /** Request counts by kind. */
  record Counts(Map<Kind, Long> byKind) {

    Counts minus(Counts before) {
      Map<Kind, Long> d = new HashMap<>();
      byKind.forEach(
          (k, v) -> {
            long n = v - before.byKind.getOrDefault(k, 0L);
            if (n != 0) {
              d.put(k, n);
            }
          });
      return new Counts(d);
    }

    /** Every resource request. */
    long total() {
      return byKind.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Writes (create, update, patch, delete) of one resource, whatever their outcome. */
    long writes(String resource) {
      return byKind.entrySet().stream()
          .filter(e -> WRITES.contains(e.getKey().verb) && e.getKey().resource.equals(resource))
          .mapToLong(Map.Entry::getValue)
          .sum();
    }

    /** Writes of copies and Events: what a rotation costs the API server. */
    long copyWrites() {
      return writes("secrets") + writes("events");
    }

    /** Requests answered with this code. */
    long code(String code) {
      return byKind.entrySet().stream()
          .filter(e -> e.getKey().code.equals(code))
          .mapToLong(Map.Entry::getValue)
          .sum();
    }

    @Override
    public String toString() {
      Map<String, Long> sorted = new TreeMap<>();
      byKind.forEach((k, v) -> sorted.put(k.toString(), v));
      return sorted.toString();
    }
  }

  Counts snapshot() {
    return parse(admin.raw("/metrics"));
  }

  /** The request counts of a Prometheus text exposition. */
  static Counts parse(String text) {
    Map<Kind, Long> counts = new HashMap<>();
    Matcher m = LINE.matcher(text);
    while (m.find()) {
      Map<String, String> labels = new HashMap<>();
      Matcher l = LABEL.matcher(m.group(1));
      while (l.find()) {
        labels.put(l.group(1), l.group(2));
      }
      String resource = labels.getOrDefault("resource", "");
      if (resource.isEmpty()) {
        continue;
      }
      String sub = labels.getOrDefault("subresource", "");
      Kind kind =
          new Kind(
              labels.getOrDefault("verb", ""),
              sub.isEmpty() ? resource : resource + "/" + sub,
              labels.getOrDefault("code", ""));
      counts.merge(kind, (long) Double.parseDouble(m.group(2)), Long::sum);
    }
    return new Counts(counts);
  }
}
