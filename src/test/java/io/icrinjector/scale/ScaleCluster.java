package io.icrinjector.scale;

import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.SecretList;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.icrinjector.e2e.ControlPlane;
import io.icrinjector.e2e.Webhook;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A control plane filled to a size: opted-in namespaces, the source {@code default/all-icr-io}, foreign same-named
 * secrets, pods created through the webhook (the packaged jar under deploy/'s JVM options), and the measurements
 * of issue 20 taken through the API server and the process only (so they hold whatever the webhook's insides).
 * Bulk creates go through a bounded pool of parallel requests; progress lines go to stdout.
 */
final class ScaleCluster implements AutoCloseable {

  static final String SECRET = "all-icr-io";
  static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  static final String SOURCE_VERSION = "icr-injector.io/source-resource-version";
  static final String IMAGE = "registry.ng.bluemix.net/acme/app:1.0";
  private static final Pattern WARN_OR_ERROR =
      Pattern.compile("\\b(WARN|ERROR|FATAL)\\b|OutOfMemoryError|VM warning");

  private final long t0 = System.nanoTime();
  private final ControlPlane cluster;
  private final KubernetesClient load;
  private final ApiServerMetrics metrics;
  private final int concurrency;
  private final ExecutorService pool;
  private final Map<String, String> foreign = new ConcurrentHashMap<>();
  private Webhook webhook;
  private int namespaces;
  private int podsPerNamespace;
  private int rotations;
  private List<Path> unregisteredLogs = List.of();

  private ScaleCluster(ControlPlane cluster, int concurrency) {
    this.cluster = cluster;
    this.concurrency = concurrency;
    this.pool = Executors.newFixedThreadPool(concurrency);
    try {
      Config config = Config.fromKubeconfig(Files.readString(cluster.kubeconfig()));
      config.setMasterUrl(
          cluster.url()); // the suite's -Dkubernetes.master points nowhere on purpose
      config.setMaxConcurrentRequests(concurrency * 2);
      config.setMaxConcurrentRequestsPerHost(concurrency * 2);
      config.setRequestTimeout(60_000);
      this.load = new KubernetesClientBuilder().withConfig(config).build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.metrics = new ApiServerMetrics(cluster.admin());
  }

  /** A fresh control plane with the source secret and the webhook installed, registered and ready. */
  static ScaleCluster start(int concurrency) {
    ControlPlane cp = ControlPlane.start();
    ScaleCluster s = new ScaleCluster(cp, concurrency);
    try {
      cp.admin()
          .secrets()
          .inNamespace("default")
          .resource(
              new SecretBuilder()
                  .withNewMetadata()
                  .withName(SECRET)
                  .endMetadata()
                  .withType("kubernetes.io/dockerconfigjson")
                  .withData(dockerConfig("v0"))
                  .build())
          .create();
      List<String> jvm = DeployedJvm.options();
      s.progress("webhook JVM options (deploy/): %s", String.join(" ", jvm));
      s.webhook = Webhook.install(cp, jvm, List.of());
      s.webhook.register();
      // Webhook.install starts the process before the configuration exists (its startup check then
      // warns that it
      // cannot find it): start it again registered, as in a cluster, and read only the logs from
      // here on.
      s.webhook.stop();
      s.unregisteredLogs = s.webhookLogs();
      s.webhook.start();
      return s;
    } catch (RuntimeException e) {
      s.close();
      throw e;
    }
  }

  static Map<String, String> dockerConfig(String password) {
    String json =
        "{\"auths\":{\"us.icr.io\":{\"username\":\"iamapikey\",\"password\":\""
            + password
            + "\"}}}";
    return Map.of(
        ".dockerconfigjson",
        Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8)));
  }

  static String namespace(int i) {
    return String.format("scale-%05d", i);
  }

  void progress(String format, Object... args) {
    System.out.printf(
        "[scale %.1fs] %s%n", (System.nanoTime() - t0) / 1e9, String.format(format, args));
  }

  /**
   * Creates opted-in namespaces (each with its {@code default} ServiceAccount) up to {@code total}; the first
   * {@code foreignCount} namespaces ever made get a same-named secret that is not ours. Returns creates per second.
   */
  double growNamespaces(int total, int foreignCount) {
    int from = namespaces;
    double rate =
        bulk(
            "namespaces",
            from,
            total,
            i -> {
              String ns = namespace(i);
              create(
                  () ->
                      load.namespaces()
                          .resource(
                              new NamespaceBuilder()
                                  .withNewMetadata()
                                  .withName(ns)
                                  .addToLabels("icr-injector.io/inject", "enabled")
                                  .endMetadata()
                                  .build())
                          .create());
              create(
                  () ->
                      load.serviceAccounts()
                          .inNamespace(ns)
                          .resource(
                              new ServiceAccountBuilder()
                                  .withNewMetadata()
                                  .withName("default")
                                  .endMetadata()
                                  .build())
                          .create());
              if (i < foreignCount) {
                Secret mine =
                    create(
                        () ->
                            load.secrets()
                                .inNamespace(ns)
                                .resource(
                                    new SecretBuilder()
                                        .withNewMetadata()
                                        .withName(SECRET)
                                        .addToLabels("owner", "tenant")
                                        .endMetadata()
                                        .withType("Opaque")
                                        .withData(
                                            Map.of(
                                                "note",
                                                Base64.getEncoder()
                                                    .encodeToString(
                                                        "not icr-injector's"
                                                            .getBytes(StandardCharsets.UTF_8))))
                                        .build())
                                .create());
                foreign.put(
                    ns,
                    mine == null
                        ? load.secrets()
                            .inNamespace(ns)
                            .withName(SECRET)
                            .get()
                            .getMetadata()
                            .getResourceVersion()
                        : mine.getMetadata().getResourceVersion());
              }
            });
    namespaces = total;
    return rate;
  }

  /**
   * Creates pods {@code app-<j>}, j in [fromPod, toPod), in the namespaces from {@code fromNamespace} on, through the
   * webhook, spread over the namespaces. Returns pods per second.
   */
  double createPods(int fromNamespace, int fromPod, int toPod) {
    int n = namespaces - fromNamespace;
    double rate =
        bulk(
            "pods",
            0,
            n * (toPod - fromPod),
            i -> {
              String ns = namespace(fromNamespace + i % n);
              String name = "app-" + (fromPod + i / n);
              create(
                  () ->
                      load.pods()
                          .inNamespace(ns)
                          .resource(
                              new PodBuilder()
                                  .withNewMetadata()
                                  .withName(name)
                                  .endMetadata()
                                  .withNewSpec()
                                  .addNewContainer()
                                  .withName("app")
                                  .withImage(IMAGE)
                                  .endContainer()
                                  .endSpec()
                                  .build())
                          .create());
            });
    podsPerNamespace = Math.max(podsPerNamespace, toPod);
    return rate;
  }

  /** Waits until every opted-in namespace without a foreign secret holds a copy of the current source; seconds. */
  double awaitCopies(String what, Duration timeout) {
    Secret source = source();
    long start = System.nanoTime();
    int expected = namespaces - foreign.size();
    long lastPrint = 0;
    while (true) {
      int current = currentCopies(source);
      double elapsed = (System.nanoTime() - start) / 1e9;
      if (current >= expected) {
        progress(
            "%s: %d/%d copies carry source version %s after %.1f s",
            what, current, expected, source.getMetadata().getResourceVersion(), elapsed);
        return elapsed;
      }
      if (!webhookAlive()) {
        throw new WebhookDied(
            what
                + ": the webhook exited with "
                + webhook.process().exitValue()
                + " at "
                + current
                + "/"
                + expected
                + " copies");
      }
      if (elapsed > timeout.toSeconds()) {
        throw new IllegalStateException(
            what + ": " + current + "/" + expected + " copies after " + timeout);
      }
      if (System.nanoTime() - lastPrint > 5_000_000_000L) {
        progress("%s: %d/%d copies", what, current, expected);
        lastPrint = System.nanoTime();
      }
      sleepQuietly(500);
    }
  }

  /** Copies (ours, in our namespaces) with the source's data and its resourceVersion in their annotation. */
  int currentCopies(Secret source) {
    String version = source.getMetadata().getResourceVersion();
    int[] n = {0};
    eachSecret(
        MANAGED_BY + "=icr-injector",
        s -> {
          if (s.getMetadata().getNamespace().startsWith("scale-")
              && version.equals(
                  s.getMetadata().getAnnotations() == null
                      ? null
                      : s.getMetadata().getAnnotations().get(SOURCE_VERSION))
              && source.getData().equals(s.getData())) {
            n[0]++;
          }
        });
    return n[0];
  }

  /** Foreign secrets whose resourceVersion changed, or that now carry our label, or are gone. */
  List<String> touchedForeignSecrets() {
    Map<String, Secret> now = new HashMap<>();
    eachSecret(
        null,
        s -> {
          if (SECRET.equals(s.getMetadata().getName())
              && foreign.containsKey(s.getMetadata().getNamespace())) {
            now.put(s.getMetadata().getNamespace(), s);
          }
        });
    List<String> touched = new ArrayList<>();
    foreign.forEach(
        (ns, rv) -> {
          Secret s = now.get(ns);
          if (s == null
              || !rv.equals(s.getMetadata().getResourceVersion())
              || s.getMetadata().getLabels().containsKey(MANAGED_BY)) {
            touched.add(ns);
          }
        });
    return touched;
  }

  int foreignCount() {
    return foreign.size();
  }

  private void eachSecret(String labelSelector, java.util.function.Consumer<Secret> each) {
    String next = null;
    do {
      var list = cluster.admin().secrets().inAnyNamespace();
      var options =
          new ListOptionsBuilder()
              .withLimit(500L)
              .withContinue(next)
              .withLabelSelector(labelSelector)
              .build();
      SecretList page = list.list(options);
      page.getItems().forEach(each);
      next = page.getMetadata().getContinue();
    } while (next != null && !next.isEmpty());
  }

  Secret source() {
    return cluster.admin().secrets().inNamespace("default").withName(SECRET).get();
  }

  /** A sample of pods as the API server stored them (to check the webhook's patch). */
  List<Pod> samplePods(int count) {
    List<Pod> pods = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      pods.add(
          cluster
              .admin()
              .pods()
              .inNamespace(namespace(i * Math.max(1, namespaces / count)))
              .withName("app-0")
              .get());
    }
    return pods;
  }

  /** Memory of the webhook process now. */
  JvmProbe.Memory memory() {
    JvmProbe.Memory m = JvmProbe.measure(webhook.process().pid());
    progress(
        "webhook memory: live heap %.1f MiB (GC.heap_info used %.1f MiB), RSS %.1f MiB, peak RSS %.1f MiB",
        mib(m.liveHeap()), mib(m.heapUsed()), mib(m.rss()), mib(m.peakRss()));
    return m;
  }

  /** What a rotation took: seconds to converge and the copy and Event writes the API server served. */
  record Rotation(
      double seconds,
      long writes,
      double peakPerSecond,
      long conflicts,
      long throttled,
      ApiServerMetrics.Counts counts) {
    double meanPerSecond() {
      return seconds > 0 ? writes / seconds : 0;
    }
  }

  /** Rotates the source (new data) and waits until every copy carries it, sampling the API server every second. */
  Rotation rotate(Duration timeout) {
    ApiServerMetrics.Counts before = metrics.snapshot();
    Secret source = source();
    source.setData(dockerConfig("v" + (++rotations)));
    cluster.admin().secrets().inNamespace("default").resource(source).update();
    AtomicReference<Double> peak = new AtomicReference<>(0.0);
    AtomicReference<Boolean> sampling = new AtomicReference<>(true);
    Thread sampler =
        new Thread(
            () -> {
              ApiServerMetrics.Counts last = before;
              long lastAt = System.nanoTime();
              while (sampling.get()) {
                sleepQuietly(1000);
                ApiServerMetrics.Counts now = metrics.snapshot();
                long at = System.nanoTime();
                double rate = now.minus(last).copyWrites() / ((at - lastAt) / 1e9);
                peak.accumulateAndGet(rate, Math::max);
                last = now;
                lastAt = at;
              }
            },
            "scale-sampler");
    sampler.start();
    try {
      double seconds = awaitCopies("rotation " + rotations, timeout);
      ApiServerMetrics.Counts d = metrics.snapshot().minus(before);
      long writes = d.copyWrites() - 1; // the harness's own update of the source
      peak.accumulateAndGet(
          writes / seconds, Math::max); // a rotation shorter than one sample is its own peak
      progress(
          "rotation %d: %d copy and Event writes in %.1f s (peak %.0f/s), 409: %d, 429: %d; requests %s",
          rotations, writes, seconds, peak.get(), d.code("409"), d.code("429"), d);
      return new Rotation(seconds, writes, peak.get(), d.code("409"), d.code("429"), d);
    } finally {
      sampling.set(false);
      try {
        sampler.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** The API server's request counts now; {@link #requestsSince} gives what happened after. */
  ApiServerMetrics.Counts requests() {
    return metrics.snapshot();
  }

  ApiServerMetrics.Counts requestsSince(ApiServerMetrics.Counts before) {
    return metrics.snapshot().minus(before);
  }

  /** Stops the webhook (SIGTERM) and starts it again; returns seconds from the new process's start to ready. */
  double restartWebhook() {
    webhook.stop();
    long start = System.nanoTime();
    try {
      webhook.start();
    } catch (IllegalStateException e) {
      throw new WebhookDied("restart: " + e.getMessage());
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    progress("webhook ready %.2f s after its restart", seconds);
    return seconds;
  }

  long webhookPid() {
    return webhook.process().pid();
  }

  boolean webhookAlive() {
    return webhook.process() != null && webhook.process().isAlive();
  }

  /** WARN, ERROR and OutOfMemoryError lines of every webhook process this cluster started once registered. */
  List<String> webhookProblems() {
    List<Path> logs = webhookLogs().stream().filter(p -> !unregisteredLogs.contains(p)).toList();
    if (logs.isEmpty()) {
      throw new IllegalStateException(
          "no webhook log in " + cluster.work() + " (has e2e.Webhook renamed them?)");
    }
    return logs.stream()
        .flatMap(
            p -> {
              try {
                return Files.readAllLines(p, StandardCharsets.UTF_8).stream()
                    .map(l -> p.getFileName() + ": " + l);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            })
        .filter(l -> WARN_OR_ERROR.matcher(l).find())
        .toList();
  }

  /** The webhook's log files (e2e.Webhook writes one per start into the control plane's directory). */
  private List<Path> webhookLogs() {
    try (Stream<Path> files = Files.list(cluster.work())) {
      return files
          .filter(p -> p.getFileName().toString().matches("webhook-.*\\.log"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  boolean webhookRanOutOfMemory() {
    return webhookProblems().stream().anyMatch(l -> l.contains("OutOfMemoryError"));
  }

  int namespaces() {
    return namespaces;
  }

  int pods() {
    return namespaces * podsPerNamespace;
  }

  static double mib(long bytes) {
    return bytes / (1024.0 * 1024.0);
  }

  /** The webhook process exited (or never became ready) while the harness waited on it. */
  static final class WebhookDied extends RuntimeException {
    WebhookDied(String message) {
      super(message);
    }
  }

  private double bulk(String what, int from, int to, IntConsumer op) {
    if (to <= from) {
      return 0;
    }
    AtomicInteger next = new AtomicInteger(from);
    AtomicInteger done = new AtomicInteger();
    AtomicReference<RuntimeException> failed = new AtomicReference<>();
    long start = System.nanoTime();
    List<Future<?>> workers = new ArrayList<>();
    for (int w = 0; w < concurrency; w++) {
      workers.add(
          pool.submit(
              () -> {
                for (int i = next.getAndIncrement();
                    i < to && failed.get() == null;
                    i = next.getAndIncrement()) {
                  try {
                    op.accept(i);
                    done.incrementAndGet();
                  } catch (RuntimeException e) {
                    failed.compareAndSet(null, e);
                  }
                }
              }));
    }
    for (Future<?> f : workers) {
      while (true) {
        try {
          f.get(5, TimeUnit.SECONDS);
          break;
        } catch (TimeoutException notYet) {
          progress(
              "%d/%d %s (%.0f/s)",
              done.get(), to - from, what, done.get() / ((System.nanoTime() - start) / 1e9));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        } catch (ExecutionException e) {
          throw new IllegalStateException(e.getCause());
        }
      }
    }
    if (failed.get() != null) {
      throw failed.get();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    double rate = (to - from) / seconds;
    progress(
        "%d/%d %s in %.1f s: %.0f/s with %d parallel requests",
        to - from, to - from, what, seconds, rate, concurrency);
    return rate;
  }

  /** A create, retried on throttling, server errors and lost connections; 409 (made by an earlier try) is done. */
  private static <T> T create(java.util.function.Supplier<T> call) {
    for (int attempt = 1; ; attempt++) {
      try {
        return call.get();
      } catch (KubernetesClientException e) {
        if (e.getCode() == 409) {
          return null;
        }
        boolean transientError = e.getCode() == 0 || e.getCode() == 429 || e.getCode() >= 500;
        if (!transientError || attempt >= 6) {
          throw e;
        }
        sleepQuietly(200L * attempt);
      }
    }
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    pool.shutdownNow();
    if (webhook != null) {
      webhook.close();
    }
    load.close();
    cluster.close();
  }
}
