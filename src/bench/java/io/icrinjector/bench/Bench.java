package io.icrinjector.bench;

import io.icrinjector.bench.LoadClient.Latency;
import io.icrinjector.bench.LoadClient.Throughput;
import io.icrinjector.bench.PodReviews.Size;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * {@code make bench}: starts the webhook jar and a bare Vert.x ceiling in JVMs of their own, with the same JVM
 * options, against a fake Kubernetes API server, drives both with the same load client on loopback, runs the JMH
 * benchmark of the engine, and prints one table with the webhook/ceiling ratio of each figure.
 *
 * <p>Settings are system properties (the Makefile maps environment variables onto them): {@code bench.jvm-opts},
 * {@code bench.seconds}, {@code bench.warmup-seconds}, {@code bench.connections}, {@code bench.rate},
 * {@code bench.event-loops}, {@code bench.jmh}, {@code bench.webhook-extra-opts} (e.g. a JFR recording),
 * {@code bench.cds} (false: the webhook without its start-up cache, and no launch without it for comparison),
 * {@code bench.starts} (launches per median of the first answer, 5), {@code bench.compare-jdk} and
 * {@code bench.compare-jar} (a second JDK, e.g. 17, and a jar compiled for it: its column of the side-by-side table).
 *
 * <p>The start-up cache is the JDK's: on JDK 25 the AOT cache (JEP 483/514/515, {@code -XX:AOTCacheOutput} of the
 * jar's {@code cds-training} run, as the image makes it), on an older JDK the AppCDS archive of the same run.
 */
public final class Bench {

  private static final Path OUT = Path.of("target", "bench");
  private static final String JAR =
      System.getProperty("bench.jar", "target/quarkus-app/quarkus-run.jar");
  private static final List<String> JVM_OPTS =
      split(System.getProperty("bench.jvm-opts", "-Xmx128m"));
  private static final List<String> WEBHOOK_EXTRA =
      split(System.getProperty("bench.webhook-extra-opts", ""));
  private static final double SECONDS =
      Double.parseDouble(System.getProperty("bench.seconds", "10"));
  private static final double WARMUP =
      Double.parseDouble(System.getProperty("bench.warmup-seconds", "3"));
  private static final int CONNECTIONS = Integer.getInteger("bench.connections", 16);
  private static final int RATE = Integer.getInteger("bench.rate", 1000);
  private static final int NPROC = Runtime.getRuntime().availableProcessors();

  /** Quarkus's default number of I/O threads (quarkus.http.io-threads) is twice the cores; the ceiling gets as many. */
  private static final int EVENT_LOOPS = Integer.getInteger("bench.event-loops", 2 * NPROC);

  private static final List<Size> SIZES =
      Arrays.stream(System.getProperty("bench.sizes", "small,typical,large").split(","))
          .map(x -> Size.valueOf(x.trim().toUpperCase(Locale.ROOT)))
          .toList();
  private static final boolean JMH = Boolean.parseBoolean(System.getProperty("bench.jmh", "true"));
  private static final String PATH = "/mutate";

  /** Whether to measure the unhappy paths too (API unreachable, namespace without the secret) after the happy one. */
  private static final boolean UNHAPPY =
      Boolean.parseBoolean(System.getProperty("bench.unhappy", "true"));

  /**
   * Fresh namespaces for the copy path's throughput run (warm-up included): each review names one, so each needs a
   * copy; the run ends early when they run out. The latency run gets rate x (warm-up + seconds) more.
   */
  private static final int FRESH_THROUGHPUT =
      Integer.getInteger("bench.unhappy.namespaces", 20_000);

  private static final int FRESH_LATENCY = (int) (RATE * (WARMUP + SECONDS));

  /**
   * Connections of the latency runs of the paths where a review can wait on the API (up to the copy budget, 2 s):
   * kube-apiserver calls a webhook with as many requests in flight as admissions wait, so with 16 connections the
   * client, not the webhook, would hold the backlog (1,000 req/s x 2 s needs about 2,000).
   */
  private static final int WAITING_CONNECTIONS =
      Integer.getInteger("bench.unhappy.connections", 2_500);

  private static final long BENCH_START = System.nanoTime();

  /** Whether the webhook runs with a start-up cache of its own (made here for this JVM), as the image does. */
  private static final boolean CDS = Boolean.parseBoolean(System.getProperty("bench.cds", "true"));

  /** Launches per median of the first answer, without and with the cache, per JDK. */
  private static final int STARTS = Integer.getInteger("bench.starts", 5);

  /** The JDK of this run (the shipped one) and, when asked for, a second one for the side-by-side table. */
  static final Jdk SHIPPED =
      new Jdk(Path.of(System.getProperty("java.home")), JAR, System.getProperty("java.class.path"));

  static final Jdk COMPARE =
      System.getProperty("bench.compare-jdk", "").isBlank()
          ? null
          : new Jdk(
              Path.of(System.getProperty("bench.compare-jdk")),
              System.getProperty("bench.compare-jar", JAR),
              System.getProperty("bench.compare-classpath", System.getProperty("java.class.path")));
  private static final Path ARCHIVE = SHIPPED.cache();

  private Bench() {}

  /** What one unhappy path cost and answered; the webhook's figures, typical pod. */
  record Unhappy(
      String label,
      String meaning,
      Throughput throughput,
      double cpuMicros,
      Latency latency,
      String answer,
      double firstReviewSeconds,
      String firstReviewWhat,
      boolean fromLaunch,
      long apiCalls,
      long reviews,
      String apiDetail,
      long rssKib,
      String underLoad) {}

  /** The answers counted by the load client, most frequent first: "n x status first-warning". */
  private static String tally(Map<String, java.util.concurrent.atomic.LongAdder> answers) {
    return answers.entrySet().stream()
        .sorted((a, b) -> Long.compare(b.getValue().sum(), a.getValue().sum()))
        .map(e -> String.format(Locale.ROOT, "%,d x %s", e.getValue().sum(), e.getKey()))
        .collect(java.util.stream.Collectors.joining("; "));
  }

  /** The fake API server's counts by method and path, as plain numbers. */
  static Map<String, Long> counts(Map<String, AtomicLong> byPath) {
    Map<String, Long> counts = new TreeMap<>();
    byPath.forEach((path, n) -> counts.put(path, n.get()));
    return counts;
  }

  /**
   * Whether a call on this "METHOD path" could be a review's: the copy of a secret and its Event. The burn-down
   * gauge's lists and the matchConditions check run on timers, whatever the reviews.
   */
  static boolean reviewPath(String methodAndPath) {
    return methodAndPath.contains("/secrets") || methodAndPath.contains("/events");
  }

  /** Entry point of {@code make bench}. */
  public static void main(String[] args) throws Exception {
    Files.createDirectories(OUT);
    String cpu = cpuModel();
    String jdk =
        System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version");
    progress(
        "machine: nproc=%d, cpu=%s, jdk=%s; server JVM options: %s",
        NPROC, cpu, jdk, String.join(" ", JVM_OPTS));
    progress(
        "load: %d connections, %.0f s (+%.0f s warm-up) per throughput run; %d req/s for %.0f s (+%.0f s) per latency run",
        CONNECTIONS, SECONDS, WARMUP, RATE, SECONDS, WARMUP);

    Map<Size, byte[]> reviews = new EnumMap<>(Size.class);
    for (Size size : Size.values()) {
      byte[] review = PodReviews.review(size);
      reviews.put(size, review);
      Files.write(OUT.resolve("review-" + size.label() + ".json"), review);
    }
    progress(
        "reviews: small %,d B, typical %,d B, large %,d B (target/bench/review-*.json)",
        reviews.get(Size.SMALL).length,
        reviews.get(Size.TYPICAL).length,
        reviews.get(Size.LARGE).length);

    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(NPROC));
    Results results = new Results();
    HttpClient probe =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();
    try (FakeApiServer api = new FakeApiServer(vertx, PodReviews.NAMESPACE)) {
      progress("fake Kubernetes API server on 127.0.0.1:%d", api.port());
      String master = "http://127.0.0.1:" + api.port();

      // The start-up cache of the webhook for each JDK, made as the image makes its own (a training
      // run of the jar's
      // cds-training command, src/main/docker/Dockerfile.jvm), then the first answer without it and
      // with it (median
      // of bench.starts launches each); the webhook started with the cache is the one the load runs
      // against.
      List<String> archiveOpts = List.of();
      for (Jdk j : COMPARE == null ? List.of(SHIPPED) : List.of(COMPARE, SHIPPED)) {
        StartFigures f = startFigures(j, master, reviews.get(Size.SMALL), probe);
        results.starts.put(j, f);
        if (j == SHIPPED && CDS) {
          archiveOpts = j.cacheOptions();
          results.startupWithoutArchive = median(f.plain());
          results.startupCpuWithoutArchive = median(f.plainCpu());
        }
      }
      int webhookPort = freePort();
      webhookArchiveOpts = archiveOpts; // the unhappy paths' webhooks start with it too
      List<String> webhookCmd = webhookCommand(archiveOpts, webhookPort, freePort(), master);
      progress("starting the webhook: %s", String.join(" ", webhookCmd));
      Server webhook =
          Server.start("webhook", webhookCmd, webhookPort, reviews.get(Size.SMALL), probe);
      results.startup[0] = webhook.startupSeconds;
      results.startupCpu = webhook.startupCpuSeconds;
      if (CDS) {
        // The JVM runs on without the cache when it does not match: only the process's mappings
        // tell.
        results.archiveMapped = mapped(webhook.process.pid(), ARCHIVE);
        progress(
            "start-up cache %s: %s",
            ARCHIVE, results.archiveMapped ? "mapped (used)" : "NOT mapped (not used)");
      }
      progress(
          "webhook answered its first review %.3f s after launch (%.2f s of CPU; pid %d, log target/bench/webhook.log)",
          webhook.startupSeconds, webhook.startupCpuSeconds, webhook.process.pid());

      List<String> ceilingArgs = new ArrayList<>();
      for (Size size : Size.values()) {
        byte[] answer = answer(probe, webhookPort, reviews.get(size), size);
        Path request = OUT.resolve("review-" + size.label() + ".json");
        Path answerFile = OUT.resolve("answer-" + size.label() + ".json");
        Files.write(answerFile, answer);
        ceilingArgs.add(request + "=" + answerFile);
        progress(
            "webhook answer for the %s pod: %,d B (target/bench/answer-%s.json)",
            size.label(), answer.length, size.label());
      }

      int ceilingPort = freePort();
      List<String> ceilingCmd = new ArrayList<>(List.of(java()));
      ceilingCmd.addAll(JVM_OPTS);
      ceilingCmd.addAll(
          List.of(
              "-cp",
              System.getProperty("java.class.path"),
              CeilingServer.class.getName(),
              String.valueOf(ceilingPort),
              String.valueOf(EVENT_LOOPS)));
      ceilingCmd.addAll(ceilingArgs);
      progress(
          "starting the ceiling (bare Vert.x, %d event loops, fixed answers of the same bytes)",
          EVENT_LOOPS);
      Server ceiling =
          Server.start("ceiling", ceilingCmd, ceilingPort, reviews.get(Size.SMALL), probe);
      results.startup[1] = ceiling.startupSeconds;
      progress("ceiling answered its first review %.3f s after launch", ceiling.startupSeconds);

      try {
        LoadClient client = new LoadClient(vertx, NPROC);
        long apiBefore = api.requests();
        Map<String, Long> pathsBefore = counts(api.byPath());
        for (Server s : List.of(webhook, ceiling)) {
          progress("warm-up: %s, typical pod, %.0f s", s.name, 2 * SECONDS);
          client.throughput(s.port, PATH, reviews.get(Size.TYPICAL), CONNECTIONS, 0, 2 * SECONDS);
        }
        for (Size size : SIZES) {
          for (int i = 0; i < 2; i++) {
            Server s = i == 0 ? webhook : ceiling;
            client.throughput(s.port, PATH, reviews.get(size), CONNECTIONS, 0, WARMUP);
            long cpuBefore = cpuTicks(s.process.pid());
            Throughput t =
                client.throughput(s.port, PATH, reviews.get(size), CONNECTIONS, 0, SECONDS);
            // CPU time of the server process (every thread: I/O, logging, GC, JIT) per request
            // answered during
            // the measurement: unlike req/s it moves little when other work shares the machine.
            double cpuMicros =
                (cpuTicks(s.process.pid()) - cpuBefore) * 1e6 / CLOCK_TICKS / t.completedInAll();
            results.throughput.get(size)[i] = t;
            results.cpuPerRequest.get(size)[i] = cpuMicros;
            progress(
                "throughput %-7s %-7s %,10.0f req/s (%,d requests, %d errors), server CPU %.0f us/request",
                size.label(), s.name, t.requestsPerSecond(), t.requests(), t.errors(), cpuMicros);
          }
        }
        for (Size size : SIZES) {
          for (int i = 0; i < 2; i++) {
            Server s = i == 0 ? webhook : ceiling;
            Latency l =
                client.fixedRate(
                    s.port, PATH, reviews.get(size), RATE, CONNECTIONS, WARMUP, SECONDS);
            results.latency.get(size)[i] = l;
            progress(
                "latency    %-7s %-7s p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms at %d req/s "
                    + "(%,d requests, %d errors)",
                size.label(),
                s.name,
                ms(l, 50),
                ms(l, 99),
                ms(l, 99.9),
                l.micros().getMaxValue() / 1000.0,
                RATE,
                l.requests(),
                l.errors());
          }
        }
        results.apiCalls = api.requests() - apiBefore;
        results.apiCallsTotal = api.requests();
        Map<String, Long> duringLoad = counts(api.byPath());
        pathsBefore.forEach((path, n) -> duringLoad.merge(path, -n, Long::sum));
        duringLoad.values().removeIf(n -> n == 0);
        results.apiCallsDuringLoad = duringLoad;
        results.apiReviewCalls =
            duringLoad.entrySet().stream()
                .filter(e -> reviewPath(e.getKey()))
                .mapToLong(Map.Entry::getValue)
                .sum();
        progress(
            "Kubernetes API requests: %d during load %s (%d on the review path: secrets, events), %d in all %s",
            results.apiCalls,
            duringLoad,
            results.apiReviewCalls,
            results.apiCallsTotal,
            api.byPath());
        results.rssKib[0] = rssKib(webhook.process.pid());
        results.rssKib[1] = rssKib(ceiling.process.pid());
        progress(
            "RSS after load: webhook %,d KiB, ceiling %,d KiB",
            results.rssKib[0], results.rssKib[1]);
        if (JVM_OPTS.stream().anyMatch(o -> o.startsWith("-XX:NativeMemoryTracking"))) {
          // Where the webhook's RSS goes, when the JVM options ask for native memory tracking.
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                  String.valueOf(webhook.process.pid()),
                  "VM.native_memory",
                  "summary")
              .redirectOutput(OUT.resolve("webhook-nmt.txt").toFile())
              .start()
              .waitFor(30, TimeUnit.SECONDS);
          progress("native memory summary in target/bench/webhook-nmt.txt");
        }
      } finally {
        webhook.stop();
        ceiling.stop();
      }
      results.loads.put(
          SHIPPED,
          new LoadFigures(
              results.throughput.get(Size.TYPICAL)[0],
              results.throughput.get(Size.TYPICAL)[1],
              results.latency.get(Size.TYPICAL)[0],
              results.latency.get(Size.TYPICAL)[1],
              results.rssKib[0],
              results.rssKib[1],
              results.cpuPerRequest.get(Size.TYPICAL)[0],
              results.cpuPerRequest.get(Size.TYPICAL)[1]));
      if (COMPARE != null) {
        results.loads.put(
            COMPARE, loadFigures(COMPARE, master, reviews, ceilingArgs, probe, vertx));
      }
      if (UNHAPPY) {
        // Each on a webhook of its own, launched after the happy path's have stopped: the copy
        // path's fake API
        // server lists thousands of namespaces, which would weigh on the happy path's heap and RSS.
        LoadClient client = new LoadClient(vertx, NPROC);
        results.unhappy.add(copyPath(client, vertx, probe, reviews.get(Size.TYPICAL)));
        results.unhappy.add(unreachable(client, probe, reviews.get(Size.TYPICAL), false));
        results.unhappy.add(unreachable(client, probe, reviews.get(Size.TYPICAL), true));
        results.unhappy.add(apiLost(client, vertx, probe, reviews.get(Size.TYPICAL), false));
        results.unhappy.add(apiLost(client, vertx, probe, reviews.get(Size.TYPICAL), true));
      }
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    if (JMH) {
      progress(
          "JMH: the engine alone (parse, decide, patch) per pod size, 1 fork, 3 x 1 s warm-up, 5 x 1 s");
      var options =
          new OptionsBuilder()
              .include(EngineBenchmark.class.getName())
              .forks(1)
              .warmupIterations(3)
              .warmupTime(TimeValue.seconds(1))
              .measurementIterations(5)
              .measurementTime(TimeValue.seconds(1))
              .jvmArgs("-Xmx128m")
              .shouldFailOnError(true)
              .output(OUT.resolve("jmh.txt").toString())
              .build();
      for (RunResult r : new Runner(options).run()) {
        String method =
            r.getParams()
                .getBenchmark()
                .substring(r.getParams().getBenchmark().lastIndexOf('.') + 1);
        results.jmh.put(
            String.format(
                "%-20s %-8s", method, r.getParams().getParam("size").toLowerCase(Locale.ROOT)),
            new double[] {r.getPrimaryResult().getScore(), r.getPrimaryResult().getScoreError()});
      }
      progress("JMH done (target/bench/jmh.txt)");
    }
    results.print(cpu, jdk);
  }

  /**
   * A JDK the benchmark runs the webhook (its {@code jar}) and the ceiling (from {@code classpath}) on: an older
   * JDK needs both compiled for it (the Makefile builds them into target/jdk17).
   */
  record Jdk(Path home, String jar, String classpath) {
    String java() {
      return home.resolve("bin").resolve("java").toString();
    }

    /** The feature version, from the JDK's release file. */
    int feature() {
      try {
        for (String line : Files.readAllLines(home.resolve("release"))) {
          if (line.startsWith("JAVA_VERSION=")) {
            String v = line.substring("JAVA_VERSION=".length()).replace("\"", "");
            return Integer.parseInt(v.split("[.]")[0]);
          }
        }
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      throw new IllegalStateException("no JAVA_VERSION in " + home.resolve("release"));
    }

    String label() {
      return "JDK " + feature();
    }

    /** JDK 24 and later have the AOT cache (JEP 483); older ones the AppCDS archive. */
    boolean aot() {
      return feature() >= 24;
    }

    Path cache() {
      return OUT.resolve(aot() ? "app.aot" : "app-cds-" + feature() + ".jsa");
    }

    List<String> trainingOptions() {
      return aot()
          ? List.of("-XX:AOTCacheOutput=" + cache(), "-Xlog:aot=error", "-XX:-UsePerfData")
          : List.of(
              "-XX:ArchiveClassesAtExit=" + cache(), "-Xlog:cds=error", "-Xlog:cds+dynamic=error");
    }

    List<String> cacheOptions() {
      return aot()
          ? List.of("-XX:AOTCache=" + cache())
          : List.of("-XX:SharedArchiveFile=" + cache(), "-Xshare:auto");
    }

    /** bench.jvm-opts without the options this JDK does not know (JDK 25's, on an older one). */
    List<String> jvmOpts() {
      return JVM_OPTS.stream()
          .filter(o -> aot() || !(o.startsWith("-XX:AOT") || o.contains("CompactObjectHeaders")))
          .toList();
    }
  }

  /** First answers of one JDK: bench.starts launches without the cache and as many with it (wall and CPU seconds). */
  record StartFigures(
      String cache,
      double cacheMiB,
      double[] plain,
      double[] plainCpu,
      double[] cached,
      double[] cachedCpu,
      boolean mapped) {}

  /** The load figures of one JDK's webhook and ceiling, typical pod. */
  record LoadFigures(
      Throughput webhook,
      Throughput ceiling,
      Latency webhookLatency,
      Latency ceilingLatency,
      long rssKib,
      long ceilingRssKib,
      double cpuMicros,
      double ceilingCpuMicros) {}

  static StartFigures startFigures(Jdk jdk, String master, byte[] review, HttpClient probe)
      throws Exception {
    String cache = "none";
    double mib = 0;
    if (CDS) {
      Files.deleteIfExists(jdk.cache());
      List<String> training =
          webhookCommand(jdk, jdk.trainingOptions(), freePort(), freePort(), master);
      training.add("cds-training");
      progress("%s: start-up cache: training run: %s", jdk.label(), String.join(" ", training));
      long t0 = System.nanoTime();
      Process p =
          new ProcessBuilder(training)
              .redirectErrorStream(true)
              .redirectOutput(OUT.resolve("cds-training-" + jdk.feature() + ".log").toFile())
              .start();
      if (!p.waitFor(300, TimeUnit.SECONDS)
          || p.exitValue() != 0
          || !Files.isRegularFile(jdk.cache())) {
        p.destroyForcibly();
        throw new IllegalStateException(
            "the training run failed (see target/bench/cds-training-" + jdk.feature() + ".log)");
      }
      mib = Files.size(jdk.cache()) / 1048576.0;
      cache = jdk.aot() ? "AOT cache" : "AppCDS archive";
      progress(
          "%s: %s %s, %.1f MiB, made in %.1f s",
          jdk.label(), cache, jdk.cache(), mib, (System.nanoTime() - t0) / 1e9);
    }
    double[][] f = new double[4][STARTS];
    boolean mapped = CDS;
    for (int i = 0; i < STARTS; i++) {
      for (int with = 0; with < (CDS ? 2 : 1); with++) {
        int port = freePort();
        Server s =
            Server.start(
                "webhook-start",
                webhookCommand(
                    jdk, with == 1 ? jdk.cacheOptions() : List.of(), port, freePort(), master),
                port,
                review,
                probe);
        f[2 * with][i] = s.startupSeconds;
        f[2 * with + 1][i] = s.startupCpuSeconds;
        if (with == 1) {
          mapped &= mapped(s.process.pid(), jdk.cache());
        }
        s.stop();
      }
    }
    progress(
        "%s: first answer, median of %d: %.3f s (%.2f s CPU) without the cache, %.3f s (%.2f s CPU) with it%s",
        jdk.label(),
        STARTS,
        median(f[0]),
        median(f[1]),
        median(f[2]),
        median(f[3]),
        CDS && !mapped ? " (NOT mapped)" : "");
    return new StartFigures(cache, mib, f[0], f[1], f[2], f[3], mapped);
  }

  /** The typical pod's throughput and p99 of one JDK's webhook (with its cache) and ceiling, and their RSS. */
  static LoadFigures loadFigures(
      Jdk jdk,
      String master,
      Map<Size, byte[]> reviews,
      List<String> ceilingArgs,
      HttpClient probe,
      Vertx vertx)
      throws Exception {
    byte[] typical = reviews.get(Size.TYPICAL);
    int port = freePort();
    Server webhook =
        Server.start(
            "webhook-" + jdk.feature(),
            webhookCommand(jdk, CDS ? jdk.cacheOptions() : List.of(), port, freePort(), master),
            port,
            reviews.get(Size.SMALL),
            probe);
    int ceilingPort = freePort();
    List<String> ceilingCmd = new ArrayList<>(List.of(jdk.java()));
    ceilingCmd.addAll(jdk.jvmOpts());
    ceilingCmd.addAll(
        List.of(
            "-cp",
            jdk.classpath(),
            CeilingServer.class.getName(),
            String.valueOf(ceilingPort),
            String.valueOf(EVENT_LOOPS)));
    ceilingCmd.addAll(ceilingArgs);
    Server ceiling =
        Server.start(
            "ceiling-" + jdk.feature(), ceilingCmd, ceilingPort, reviews.get(Size.SMALL), probe);
    try {
      LoadClient client = new LoadClient(vertx, NPROC);
      Throughput[] t = new Throughput[2];
      Latency[] l = new Latency[2];
      double[] cpu = new double[2];
      for (int i = 0; i < 2; i++) {
        Server s = i == 0 ? webhook : ceiling;
        progress("%s: warm-up: %s, typical pod, %.0f s", jdk.label(), s.name, 2 * SECONDS);
        client.throughput(s.port, PATH, typical, CONNECTIONS, 0, 2 * SECONDS);
        long cpuBefore = cpuTicks(s.process.pid());
        t[i] = client.throughput(s.port, PATH, typical, CONNECTIONS, 0, SECONDS);
        cpu[i] =
            (cpuTicks(s.process.pid()) - cpuBefore) * 1e6 / CLOCK_TICKS / t[i].completedInAll();
        l[i] = client.fixedRate(s.port, PATH, typical, RATE, CONNECTIONS, WARMUP, SECONDS);
        progress(
            "%s: %s typical: %,.0f req/s (%d errors), server CPU %.0f us/request; p99 %.3f ms at %d req/s "
                + "(%d errors)",
            jdk.label(),
            s.name,
            t[i].requestsPerSecond(),
            t[i].errors(),
            cpu[i],
            ms(l[i], 99),
            RATE,
            l[i].errors());
      }
      return new LoadFigures(
          t[0],
          t[1],
          l[0],
          l[1],
          rssKib(webhook.process.pid()),
          rssKib(ceiling.process.pid()),
          cpu[0],
          cpu[1]);
    } finally {
      webhook.stop();
      ceiling.stop();
    }
  }

  static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v.length == 0 ? Double.NaN : v[v.length / 2];
  }

  /** The webhook's command line, its Kubernetes client pointed at {@code master}. */
  private static List<String> webhookCommand(int port, String master) throws IOException {
    return webhookCommand(port, freePort(), master);
  }

  /** The AppCDS options of the happy path's webhook, once made: every later webhook of the run starts with them. */
  private static volatile List<String> webhookArchiveOpts = List.of();

  private static List<String> webhookCommand(int port, int managementPort, String master) {
    return webhookCommand(webhookArchiveOpts, port, managementPort, master);
  }

  private static List<String> webhookCommand(
      List<String> extra, int port, int managementPort, String master) {
    return webhookCommand(SHIPPED, extra, port, managementPort, master);
  }

  private static List<String> webhookCommand(
      Jdk jdk, List<String> extra, int port, int managementPort, String master) {
    List<String> cmd = new ArrayList<>(List.of(jdk.java()));
    cmd.addAll(jdk.jvmOpts());
    cmd.addAll(WEBHOOK_EXTRA);
    cmd.addAll(extra);
    cmd.addAll(
        List.of(
            "-Dquarkus.http.host=127.0.0.1",
            "-Dquarkus.http.port=" + port,
            "-Dquarkus.management.port=" + managementPort,
            // quarkus.kubernetes-client.api-server-url (and -token, -trust-certs, -namespace) are
            // fixed at build
            // time in Quarkus 3.33, so a run-time -D is ignored with a warning; the fabric8
            // client's own system
            // properties are read at start-up and reach the client Quarkus builds.
            "-Dkubernetes.master=" + master,
            "-Dkubernetes.trust.certificates=true",
            "-Dkubernetes.auth.token=bench",
            "-Dkubernetes.namespace=icr-injector",
            "-Dkubernetes.auth.tryKubeConfig=false",
            "-Dkubernetes.auth.tryServiceAccount=false",
            "-Dicr.webhook-namespace=icr-injector",
            // One replica, and the fake API server serves no Lease: with the election on, its
            // campaign's retries (a GET
            // and a POST every few seconds) were counted as API calls during load, which are meant
            // to be the pods'.
            "-Dicr.secret-copy.leader-election=false",
            "-jar",
            jdk.jar()));
    return cmd;
  }

  /**
   * The typical review in fresh namespace {@code i}: the same bytes with the namespace's six digits patched in, so
   * every review of the copy path names an opted-in namespace that has no copy yet.
   */
  static final class FreshReviews {
    private final byte[] template;
    private final int[] digitsAt;

    FreshReviews(byte[] review) {
      String from = "\"namespace\":\"" + PodReviews.NAMESPACE + "\"";
      String to = "\"namespace\":\"" + FakeApiServer.fresh(0) + "\"";
      String text = new String(review, StandardCharsets.UTF_8);
      if (!text.contains(from)) {
        throw new IllegalStateException(
            "the typical review does not name namespace " + PodReviews.NAMESPACE);
      }
      template = text.replace(from, to).getBytes(StandardCharsets.UTF_8);
      String t = new String(template, StandardCharsets.UTF_8);
      List<Integer> at = new ArrayList<>();
      for (int i = t.indexOf(to); i >= 0; i = t.indexOf(to, i + 1)) {
        at.add(i + to.length() - 7); // the six digits before the closing quote
      }
      digitsAt = at.stream().mapToInt(Integer::intValue).toArray();
    }

    byte[] review(int namespace) {
      byte[] b = template.clone();
      byte[] digits =
          FakeApiServer.fresh(namespace)
              .substring(FakeApiServer.FRESH_PREFIX.length())
              .getBytes(StandardCharsets.US_ASCII);
      for (int at : digitsAt) {
        System.arraycopy(digits, 0, b, at, digits.length);
      }
      return b;
    }
  }

  /**
   * The path of a namespace that lacks the pull secret, on the happy path's webhook after its runs: every review
   * names a fresh opted-in namespace, so every review makes the webhook copy the secret (one create through the
   * API, which the fake answers 201) and wait for it within its budget; a copy also writes an Event.
   */
  private static Unhappy copyPath(LoadClient client, Vertx vertx, HttpClient probe, byte[] review)
      throws Exception {
    String label = "no secret";
    FreshReviews fresh = new FreshReviews(review);
    int freshCount = FRESH_THROUGHPUT + FRESH_LATENCY + 2;
    try (FakeApiServer api = new FakeApiServer(vertx, PodReviews.NAMESPACE, freshCount)) {
      int port = freePort();
      int management = freePort();
      List<String> cmd = webhookCommand(port, management, "http://127.0.0.1:" + api.port());
      progress(
          "%s: starting a webhook against a fake API server (127.0.0.1:%d) that lists %,d opted-in namespaces "
              + "without the secret",
          label, api.port(), freshCount);
      Server webhook = Server.start("no-secret", cmd, port, review, probe);
      try {
        progress(
            "%s: webhook answered its first review %.3f s after launch (log target/bench/%s.log)",
            label, webhook.startupSeconds, webhook.name);
        // Warmed up like the others, on the namespace that has its copy: the same JIT state before
        // the copy path.
        progress(
            "warm-up: %s, typical pod in %s, %.0f s", label, PodReviews.NAMESPACE, 2 * SECONDS);
        client.throughput(port, PATH, review, CONNECTIONS, 0, 2 * SECONDS);
        return copyPath(label, client, webhook, management, api, fresh, probe);
      } finally {
        webhook.stop();
      }
    }
  }

  private static Unhappy copyPath(
      String label,
      LoadClient client,
      Server webhook,
      int management,
      FakeApiServer api,
      FreshReviews fresh,
      HttpClient probe)
      throws Exception {
    // The first review of a fresh namespace, alone: what one pod in a new namespace waits.
    int probeNamespace = FRESH_THROUGHPUT + FRESH_LATENCY;
    long t0 = System.nanoTime();
    HttpResponse<byte[]> first =
        probe.send(
            post(webhook.port, fresh.review(probeNamespace)),
            HttpResponse.BodyHandlers.ofByteArray());
    double firstSeconds = (System.nanoTime() - t0) / 1e9;
    String answer = describe(first);
    progress(
        "%s: one review of a fresh namespace answered in %.1f ms: %s",
        label, firstSeconds * 1000, answer);

    long apiBefore = api.requests();
    long createsBefore = api.secretsCreated();
    long eventsBefore = api.eventsCreated();
    Map<String, Long> threadsBefore = threadTicks(webhook.process.pid());
    var answers = client.countAnswers();
    long cpuBefore = cpuTicks(webhook.process.pid());
    Throughput t =
        client.throughput(
            webhook.port,
            PATH,
            i -> fresh.review((int) i),
            FRESH_THROUGHPUT,
            CONNECTIONS,
            WARMUP,
            SECONDS);
    double cpuMicros =
        (cpuTicks(webhook.process.pid()) - cpuBefore) * 1e6 / CLOCK_TICKS / t.completedInAll();
    progress(
        "throughput %-7s %-7s %,10.0f req/s (%,d requests, %d errors), server CPU %.0f us/request%s",
        "typical",
        label,
        t.requestsPerSecond(),
        t.requests(),
        t.errors(),
        cpuMicros,
        t.completedInAll() >= FRESH_THROUGHPUT
            ? " (ran out of its " + FRESH_THROUGHPUT + " fresh namespaces)"
            : "");
    Latency l =
        client.fixedRate(
            webhook.port,
            PATH,
            i -> fresh.review((int) (FRESH_THROUGHPUT + i)),
            RATE,
            WAITING_CONNECTIONS,
            WARMUP,
            SECONDS);
    progress(
        "latency    %-7s %-7s p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms at %d req/s "
            + "(%,d requests, %d errors; up to %,d connections)",
        "typical",
        label,
        ms(l, 50),
        ms(l, 99),
        ms(l, 99.9),
        l.micros().getMaxValue() / 1000.0,
        RATE,
        l.requests(),
        l.errors(),
        WAITING_CONNECTIONS);
    client.stopCounting();
    String underLoad = tally(answers);
    progress("%s: answers of its runs: %s", label, underLoad);
    long reviews = t.completedInAll() + FRESH_LATENCY;
    // Events are written after the answer, one at a time: let the last ones reach the fake before
    // counting.
    Thread.sleep(1000);
    progress(
        "%s: where the webhook's CPU went during its runs, by thread: %s",
        label, cpuShares(threadsBefore, threadTicks(webhook.process.pid())));
    long apiCalls = api.requests() - apiBefore;
    long creates = api.secretsCreated() - createsBefore;
    long events = api.eventsCreated() - eventsBefore;
    // The same alone once more, now that the copy path has run thousands of times.
    t0 = System.nanoTime();
    HttpResponse<byte[]> warm =
        probe.send(
            post(webhook.port, fresh.review(probeNamespace + 1)),
            HttpResponse.BodyHandlers.ofByteArray());
    double warmSeconds = (System.nanoTime() - t0) / 1e9;
    progress(
        "%s: one more review of a fresh namespace, alone, after the runs: %.1f ms: %s",
        label, warmSeconds * 1000, describe(warm));
    String detail =
        String.format(
            Locale.ROOT,
            "%,d secret creates, %,d Events, %,d other; the webhook's copy " + "outcomes: %s",
            creates,
            events,
            apiCalls - creates - events,
            copyOutcomes(probe, management));
    progress(
        "%s: Kubernetes API requests during its runs: %,d for %,d reviews (%s) %s",
        label, apiCalls, reviews, detail, api.byPath());
    long rss = rssKib(webhook.process.pid());
    progress("%s: webhook RSS after its runs %,d KiB", label, rss);
    return new Unhappy(
        label,
        "every review names an opted-in namespace without the secret (a fresh one each "
            + "time): the webhook copies it (one create, answered 201), waits for that within its 2 s budget, and "
            + "writes an Event",
        t,
        cpuMicros,
        l,
        answer,
        warmSeconds,
        String.format(
            Locale.ROOT,
            "one review alone, first of the process %.1f ms, after the runs",
            firstSeconds * 1000),
        false,
        apiCalls,
        reviews,
        detail,
        rss,
        underLoad);
  }

  /**
   * A webhook that was ready (its watches synced: the opted-in namespaces and the secrets are known) when the API
   * became unreachable: the fake API server closes (connects refused from then on) or goes silent (connections
   * stay open, no request is answered: a blackhole). What it still knows it answers from memory; the reviews here
   * name fresh opted-in namespaces, so each needs a copy that cannot be made.
   */
  private static Unhappy apiLost(
      LoadClient client, Vertx vertx, HttpClient probe, byte[] review, boolean blackhole)
      throws Exception {
    String label = blackhole ? "lost, silent" : "lost, refused";
    FreshReviews fresh = new FreshReviews(review);
    int freshCount = FRESH_THROUGHPUT + FRESH_LATENCY + 1;
    try (FakeApiServer api = new FakeApiServer(vertx, PodReviews.NAMESPACE, freshCount)) {
      int port = freePort();
      int management = freePort();
      List<String> cmd = webhookCommand(port, management, "http://127.0.0.1:" + api.port());
      progress(
          "%s: starting a webhook against a fake API server that lists %,d opted-in namespaces without the "
              + "secret",
          label, freshCount);
      Server webhook = Server.start(label.replace(", ", "-"), cmd, port, review, probe);
      try {
        HttpRequest ready =
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + management + "/q/health/ready"))
                .timeout(Duration.ofSeconds(5))
                .build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (probe.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() != 200) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException(
                label + ": the webhook did not get ready (target/bench/" + webhook.name + ".log)");
          }
          Thread.sleep(20);
        }
        progress(
            "%s: webhook ready; warm-up, typical pod in %s, %.0f s",
            label, PodReviews.NAMESPACE, 2 * SECONDS);
        client.throughput(port, PATH, review, CONNECTIONS, 0, 2 * SECONDS);
        long apiBefore = api.requests();
        if (blackhole) {
          api.goSilent();
        } else {
          api.refuse();
        }
        progress(
            "%s: the fake API server %s",
            label, blackhole ? "answers nothing from now on" : "is closed");
        String known =
            describe(probe.send(post(port, review), HttpResponse.BodyHandlers.ofByteArray()));
        progress(
            "%s: answer for the pod in %s (its copy known): %s",
            label, PodReviews.NAMESPACE, known);
        int probeNamespace = FRESH_THROUGHPUT + FRESH_LATENCY;
        long t0 = System.nanoTime();
        HttpResponse<byte[]> first =
            probe.send(
                post(port, fresh.review(probeNamespace)), HttpResponse.BodyHandlers.ofByteArray());
        double firstSeconds = (System.nanoTime() - t0) / 1e9;
        String answer = describe(first);
        progress(
            "%s: one review of a fresh namespace answered in %.1f ms: %s",
            label, firstSeconds * 1000, answer);
        var answers = client.countAnswers();
        long cpuBefore = cpuTicks(webhook.process.pid());
        Throughput t =
            client.throughput(
                port,
                PATH,
                i -> fresh.review((int) i),
                FRESH_THROUGHPUT,
                CONNECTIONS,
                WARMUP,
                SECONDS);
        double cpuMicros =
            (cpuTicks(webhook.process.pid()) - cpuBefore) * 1e6 / CLOCK_TICKS / t.completedInAll();
        progress(
            "throughput %-7s %-7s %,10.0f req/s (%,d requests, %d errors), server CPU %.0f us/request",
            "typical", label, t.requestsPerSecond(), t.requests(), t.errors(), cpuMicros);
        Latency l =
            client.fixedRate(
                port,
                PATH,
                i -> fresh.review((int) (FRESH_THROUGHPUT + i)),
                RATE,
                WAITING_CONNECTIONS,
                WARMUP,
                SECONDS);
        progress(
            "latency    %-7s %-7s p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms at %d req/s "
                + "(%,d requests, %d errors; up to %,d connections)",
            "typical",
            label,
            ms(l, 50),
            ms(l, 99),
            ms(l, 99.9),
            l.micros().getMaxValue() / 1000.0,
            RATE,
            l.requests(),
            l.errors(),
            WAITING_CONNECTIONS);
        client.stopCounting();
        String underLoad = tally(answers);
        progress("%s: answers of its runs: %s", label, underLoad);
        String last =
            describe(
                probe.send(
                    post(port, fresh.review(FRESH_THROUGHPUT + FRESH_LATENCY - 1)),
                    HttpResponse.BodyHandlers.ofByteArray()));
        progress("%s: answer for a fresh namespace after the runs: %s", label, last);
        HttpResponse<String> readiness = probe.send(ready, HttpResponse.BodyHandlers.ofString());
        String stillReady =
            "HTTP " + readiness.statusCode() + " " + readiness.body().replaceAll("\\s+", " ");
        progress("%s: readiness after the runs: %s", label, stillReady);
        long reviews = t.completedInAll() + FRESH_LATENCY;
        long apiCalls = api.requests() - apiBefore;
        String detail =
            (blackhole
                    ? String.format(Locale.ROOT, "%,d requests reached the silent fake", apiCalls)
                    : "connects refused (not counted)")
                + "; the webhook's copy outcomes: "
                + copyOutcomes(probe, management);
        progress("%s: %s during its runs", label, detail);
        long rss = rssKib(webhook.process.pid());
        return new Unhappy(
            label,
            "the webhook was ready (watches synced) when its API "
                + (blackhole
                    ? "stopped answering (connections open, requests unanswered)"
                    : "went away (connects refused)")
                + "; every review names an opted-in namespace without the secret, so each needs a copy that cannot be "
                + "made. The pod in "
                + PodReviews.NAMESPACE
                + ", whose copy it knows: "
                + known
                + ". After the runs a fresh namespace gets: "
                + last
                + ". Readiness after the runs: "
                + stillReady,
            t,
            cpuMicros,
            l,
            answer,
            firstSeconds,
            "first review of a fresh namespace after the loss",
            false,
            blackhole ? apiCalls : -1,
            reviews,
            detail,
            rss,
            underLoad);
      } finally {
        webhook.stop();
      }
    }
  }

  /**
   * A webhook launched with its Kubernetes client pointed at a loopback port where nothing answers: refused (no
   * listener: each connect fails at once) or a blackhole (a socket that never accepts: the first connections sit
   * in its backlog unanswered and later connects hang). Its watches never sync, so in a cluster it would stay
   * unready; the benchmark posts the typical review to it anyway, as to a replica whose readiness is ignored.
   */
  private static Unhappy unreachable(
      LoadClient client, HttpClient probe, byte[] review, boolean blackhole) throws Exception {
    String label = blackhole ? "API blackhole" : "API refused";
    try (ServerSocket hole =
        blackhole ? new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()) : null) {
      int apiPort = blackhole ? hole.getLocalPort() : freePort();
      int port = freePort();
      List<String> cmd = webhookCommand(port, "http://127.0.0.1:" + apiPort);
      progress(
          "%s: starting a webhook whose Kubernetes API is 127.0.0.1:%d (%s)",
          label, apiPort, blackhole ? "a socket that never accepts" : "nothing listens");
      Server webhook =
          Server.start(label.replace(' ', '-').toLowerCase(Locale.ROOT), cmd, port, review, probe);
      try {
        progress(
            "%s: webhook answered its first review %.3f s after launch (log target/bench/%s.log)",
            label, webhook.startupSeconds, webhook.name);
        String answer =
            describe(probe.send(post(port, review), HttpResponse.BodyHandlers.ofByteArray()));
        progress("%s: answer %s", label, answer);
        progress("warm-up: %s, typical pod, %.0f s", label, 2 * SECONDS);
        client.throughput(port, PATH, review, CONNECTIONS, 0, 2 * SECONDS);
        client.throughput(port, PATH, review, CONNECTIONS, 0, WARMUP);
        var answers = client.countAnswers();
        long cpuBefore = cpuTicks(webhook.process.pid());
        Throughput t = client.throughput(port, PATH, review, CONNECTIONS, 0, SECONDS);
        double cpuMicros =
            (cpuTicks(webhook.process.pid()) - cpuBefore) * 1e6 / CLOCK_TICKS / t.completedInAll();
        progress(
            "throughput %-7s %-7s %,10.0f req/s (%,d requests, %d errors), server CPU %.0f us/request",
            "typical", label, t.requestsPerSecond(), t.requests(), t.errors(), cpuMicros);
        Latency l = client.fixedRate(port, PATH, review, RATE, CONNECTIONS, WARMUP, SECONDS);
        progress(
            "latency    %-7s %-7s p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms at %d req/s "
                + "(%,d requests, %d errors)",
            "typical",
            label,
            ms(l, 50),
            ms(l, 99),
            ms(l, 99.9),
            l.micros().getMaxValue() / 1000.0,
            RATE,
            l.requests(),
            l.errors());
        client.stopCounting();
        String underLoad = tally(answers);
        progress("%s: answers of its runs: %s", label, underLoad);
        long rss = rssKib(webhook.process.pid());
        String meaning =
            blackhole
                ? "the webhook's Kubernetes API is a loopback socket that never accepts (a blackhole: connects hang, "
                    + "requests sit unanswered); its watches never sync"
                : "the webhook's Kubernetes API is a loopback port nothing listens on (connection refused at once); "
                    + "its watches never sync";
        return new Unhappy(
            label,
            meaning
                + ". In a cluster it stays unready (readiness waits for the watches); "
                + "reviews are posted to it anyway, pod in namespace "
                + PodReviews.NAMESPACE,
            t,
            cpuMicros,
            l,
            answer,
            webhook.startupSeconds,
            "launch to first answer",
            true,
            -1,
            0,
            "",
            rss,
            underLoad);
      } finally {
        webhook.stop();
      }
    }
  }

  /**
   * The webhook's own count of copy outcomes ({@code icr_injector_secret_copies_total}, the ones above zero), from
   * its metrics on the management port: what the reviews under load were told, which the load client does not read.
   */
  static String copyOutcomes(HttpClient probe, int managementPort) {
    try {
      HttpResponse<String> r =
          probe.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + managementPort + "/q/metrics"))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      List<String> outcomes = new ArrayList<>();
      for (String line : r.body().split("\n")) {
        var m =
            java.util.regex.Pattern.compile(
                    "^icr_injector_secret_copies_total\\{.*result=\"([a-z_]+)\".*\\} (\\S+)$")
                .matcher(line);
        if (m.matches() && Double.parseDouble(m.group(2)) > 0) {
          outcomes.add(
              m.group(1)
                  + " "
                  + String.format(Locale.ROOT, "%,.0f", Double.parseDouble(m.group(2))));
        }
      }
      return outcomes.isEmpty() ? "none" : String.join(", ", outcomes);
    } catch (IOException | InterruptedException | RuntimeException e) {
      return "unknown (" + e.getMessage() + ")";
    }
  }

  /** What an answer did: status, whether it patched the images and attached the secret, its warnings. */
  static String describe(HttpResponse<byte[]> r) throws IOException {
    if (r.statusCode() != 200) {
      return "HTTP " + r.statusCode() + " " + new String(r.body(), StandardCharsets.UTF_8);
    }
    var response =
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body()).path("response");
    String patch =
        response.has("patch")
            ? new String(
                Base64.getDecoder().decode(response.path("patch").asText()), StandardCharsets.UTF_8)
            : "";
    long rewrites = Arrays.stream(patch.split("\"op\":\"replace\"", -1)).count() - 1;
    boolean secret = patch.contains("/spec/imagePullSecrets");
    List<String> warnings = new ArrayList<>();
    response.path("warnings").forEach(w -> warnings.add(w.asText()));
    return String.format(
        Locale.ROOT,
        "HTTP 200, allowed=%s, %d image(s) rewritten, pull secret %s, %s",
        response.path("allowed").asBoolean(),
        rewrites,
        secret ? "attached" : "not attached",
        warnings.isEmpty() ? "no warning" : "warning " + warnings);
  }

  /** The webhook's answer to one review, checked: 200, uid echoed, a patch with one replace per container. */
  private static byte[] answer(HttpClient probe, int port, byte[] review, Size size)
      throws Exception {
    HttpResponse<byte[]> r =
        probe.send(post(port, review), HttpResponse.BodyHandlers.ofByteArray());
    String text = new String(r.body(), StandardCharsets.UTF_8);
    var tree = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
    var response = tree.path("response");
    if (r.statusCode() != 200 || !response.path("allowed").asBoolean() || !response.has("patch")) {
      throw new IllegalStateException(
          "the webhook did not patch the " + size.label() + " pod: " + r.statusCode() + " " + text);
    }
    String patch =
        new String(
            Base64.getDecoder().decode(response.path("patch").asText()), StandardCharsets.UTF_8);
    long replaces = Arrays.stream(patch.split("\"op\":\"replace\"", -1)).count() - 1;
    int images =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(review)
            .path("request")
            .path("object")
            .path("spec")
            .findValues("image")
            .size();
    if (replaces != images) {
      throw new IllegalStateException(
          "the " + size.label() + " pod has " + images + " images and " + replaces + " rewrites");
    }
    return r.body();
  }

  static HttpRequest post(int port, byte[] review) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + PATH))
        .timeout(Duration.ofSeconds(5))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(review))
        .build();
  }

  /** A JVM the benchmark started, with the time from its launch to its first 200. */
  static final class Server {
    final String name;
    final Process process;
    final int port;
    final double startupSeconds;

    /** CPU time (utime + stime) the process had used when it gave its first 200: steadier than wall time. */
    final double startupCpuSeconds;

    private Server(
        String name, Process process, int port, double startupSeconds, double startupCpuSeconds) {
      this.name = name;
      this.process = process;
      this.port = port;
      this.startupSeconds = startupSeconds;
      this.startupCpuSeconds = startupCpuSeconds;
    }

    static Server start(String name, List<String> cmd, int port, byte[] review, HttpClient probe)
        throws Exception {
      HttpRequest request = post(port, review);
      ProcessBuilder pb =
          new ProcessBuilder(cmd)
              .redirectErrorStream(true)
              .redirectOutput(OUT.resolve(name + ".log").toFile());
      pb.environment().put("KUBECONFIG", OUT.resolve("no-kubeconfig").toAbsolutePath().toString());
      long launched = System.nanoTime();
      Process process = pb.start();
      long deadline = launched + TimeUnit.SECONDS.toNanos(60);
      while (true) {
        try {
          if (probe.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
            double wall = (System.nanoTime() - launched) / 1e9;
            return new Server(name, process, port, wall, cpuTicks(process.pid()) / CLOCK_TICKS);
          }
        } catch (IOException notYet) {
          // connection refused until the server listens
        }
        if (!process.isAlive() || System.nanoTime() > deadline) {
          process.destroyForcibly();
          throw new IllegalStateException(
              name + " did not answer a review (see target/bench/" + name + ".log)");
        }
        Thread.sleep(2);
      }
    }

    void stop() throws InterruptedException {
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  /** Every figure, then the table. Index 0 is the webhook, 1 the ceiling. */
  static final class Results {
    final Map<Size, Throughput[]> throughput = new EnumMap<>(Size.class);
    final Map<Size, Latency[]> latency = new EnumMap<>(Size.class);
    final Map<Size, double[]> cpuPerRequest = new EnumMap<>(Size.class);
    final Map<String, double[]> jmh = new java.util.LinkedHashMap<>();
    final double[] startup = new double[2];
    double startupCpu;
    double startupWithoutArchive = Double.NaN;
    double startupCpuWithoutArchive = Double.NaN;
    boolean archiveMapped;
    final long[] rssKib = new long[2];
    long apiCalls;
    long apiCallsTotal;

    /** Calls during load on a path a review could cause (a secret, an Event); the rest are timers'. */
    long apiReviewCalls;

    Map<String, Long> apiCallsDuringLoad = Map.of();
    final List<Unhappy> unhappy = new ArrayList<>();
    final Map<Jdk, StartFigures> starts = new java.util.LinkedHashMap<>();
    final Map<Jdk, LoadFigures> loads = new java.util.LinkedHashMap<>();

    Results() {
      for (Size s : SIZES) {
        throughput.put(s, new Throughput[2]);
        latency.put(s, new Latency[2]);
        cpuPerRequest.put(s, new double[2]);
      }
    }

    void print(String cpu, String jdk) {
      System.out.println();
      System.out.printf("icr-injector benchmark: nproc=%d, cpu=%s, jdk=%s%n", NPROC, cpu, jdk);
      System.out.printf(
          "server JVM options: %s; loopback; %d connections; %d req/s open loop; %.0f s per run%n",
          String.join(" ", JVM_OPTS), CONNECTIONS, RATE, SECONDS);
      String fmt = "| %-34s | %12s | %12s | %9s | %-24s |%n";
      System.out.printf(fmt, "figure", "webhook", "ceiling", "ratio", "target");
      System.out.printf(
          fmt, "-".repeat(34), "-".repeat(12), "-".repeat(12), "-".repeat(9), "-".repeat(24));
      for (Size s : SIZES) {
        double w = throughput.get(s)[0].requestsPerSecond();
        double c = throughput.get(s)[1].requestsPerSecond();
        String target = s == Size.TYPICAL ? verdict(w / c >= 0.5, "ratio >= 0.50") : "";
        System.out.printf(
            fmt,
            "throughput " + s.label() + " (req/s)",
            String.format("%,.0f", w),
            String.format("%,.0f", c),
            String.format("%.2f", w / c),
            target);
      }
      for (Size s : SIZES) {
        double w = cpuPerRequest.get(s)[0];
        double c = cpuPerRequest.get(s)[1];
        System.out.printf(
            fmt,
            "server CPU/request " + s.label() + " (us)",
            String.format("%,.0f", w),
            String.format("%,.0f", c),
            String.format("%.2f", w / c),
            "");
      }
      for (Size s : SIZES) {
        Latency w = latency.get(s)[0];
        Latency c = latency.get(s)[1];
        System.out.printf(
            fmt,
            "p50 " + s.label() + " @" + RATE + "/s (ms)",
            String.format("%.3f", ms(w, 50)),
            String.format("%.3f", ms(c, 50)),
            String.format("%.2f", ms(w, 50) / ms(c, 50)),
            "");
        String target =
            switch (s) {
              case TYPICAL ->
                  verdict(
                      ms(w, 99) - ms(c, 99) <= 1.0,
                      String.format("<= ceiling+1 (%+.2f)", ms(w, 99) - ms(c, 99)));
              case LARGE -> verdict(ms(w, 99) < 5.0, "< 5 ms");
              default -> "";
            };
        System.out.printf(
            fmt,
            "p99 " + s.label() + " @" + RATE + "/s (ms)",
            String.format("%.3f", ms(w, 99)),
            String.format("%.3f", ms(c, 99)),
            String.format("%.2f", ms(w, 99) / ms(c, 99)),
            target);
      }
      System.out.printf(
          fmt,
          "RSS after load (MiB)",
          String.format("%.1f", rssKib[0] / 1024.0),
          String.format("%.1f", rssKib[1] / 1024.0),
          String.format("%.2f", (double) rssKib[0] / rssKib[1]),
          verdict(rssKib[0] <= 150 * 1024, "<= 150 MiB"));
      // The target is the median of bench.starts launches; the webhook the load ran against is one
      // launch.
      StartFigures shipped = starts.get(SHIPPED);
      boolean median = CDS && shipped != null && shipped.cached().length > 0;
      double firstAnswer = median ? median(shipped.cached()) : startup[0];
      System.out.printf(
          fmt,
          median
              ? "1st answer, median of " + shipped.cached().length + " (s)"
              : "launch to first answer (s)",
          String.format("%.3f", firstAnswer),
          String.format("%.3f", startup[1]),
          String.format("%.2f", firstAnswer / startup[1]),
          verdict(firstAnswer <= 0.5, "<= 0.5 s"));
      if (median) {
        System.out.printf(
            fmt,
            "  the load's webhook, one launch (s)",
            String.format("%.3f", startup[0]),
            "-",
            "-",
            "");
      }
      System.out.printf(
          fmt,
          "  start-up cache of the webhook",
          !CDS ? "off" : archiveMapped ? "used" : "NOT USED",
          "-",
          "-",
          CDS ? "mapped, from /proc/pid/maps" : "-Dbench.cds=false");
      System.out.printf(
          fmt, "  CPU to first answer (s)", String.format("%.2f", startupCpu), "-", "-", "");
      if (CDS) {
        System.out.printf(
            fmt,
            "  1st answer, no cache, median (s)",
            String.format("%.3f", startupWithoutArchive),
            "-",
            String.format("%.2f", startup[0] / startupWithoutArchive),
            "with/without");
        System.out.printf(
            fmt,
            "  CPU to 1st answer, no cache (s)",
            String.format("%.2f", startupCpuWithoutArchive),
            "-",
            String.format("%.2f", startupCpu / startupCpuWithoutArchive),
            "with/without");
      }
      System.out.printf(
          fmt,
          "API calls during load",
          String.valueOf(apiCalls),
          "-",
          "-",
          apiCalls == apiReviewCalls
              ? verdict(apiCalls == 0, "0") + " (" + apiCallsTotal + " in all)"
              : verdict(apiReviewCalls == 0, "0 for reviews")
                  + " ("
                  + apiReviewCalls
                  + "; the others on timers: "
                  + apiCallsDuringLoad.keySet()
                  + ")");
      long errors = 0;
      for (Size s : SIZES) {
        for (int i = 0; i < 2; i++) {
          errors += throughput.get(s)[i].errors() + latency.get(s)[i].errors();
        }
      }
      System.out.printf(
          fmt,
          "non-200 answers or failures",
          String.valueOf(errors),
          "",
          "",
          verdict(errors == 0, "0"));
      // The unhappy paths, typical pod; next to the ceiling's typical figures when this run
      // measured them.
      boolean withCeiling = SIZES.contains(Size.TYPICAL) && throughput.get(Size.TYPICAL)[1] != null;
      for (Unhappy u : unhappy) {
        String p = u.label() + ": ";
        double cT = withCeiling ? throughput.get(Size.TYPICAL)[1].requestsPerSecond() : Double.NaN;
        double cC = withCeiling ? cpuPerRequest.get(Size.TYPICAL)[1] : Double.NaN;
        Latency cL = withCeiling ? latency.get(Size.TYPICAL)[1] : null;
        double w = u.throughput().requestsPerSecond();
        System.out.printf(
            fmt,
            p + "req/s",
            String.format("%,.0f", w),
            withCeiling ? String.format("%,.0f", cT) : "-",
            withCeiling ? String.format("%.2f", w / cT) : "-",
            "");
        System.out.printf(
            fmt,
            p + "CPU/request (us)",
            String.format("%,.0f", u.cpuMicros()),
            withCeiling ? String.format("%,.0f", cC) : "-",
            withCeiling ? String.format("%.2f", u.cpuMicros() / cC) : "-",
            "");
        System.out.printf(
            fmt,
            p + "p50 @" + RATE + "/s (ms)",
            String.format("%.3f", ms(u.latency(), 50)),
            cL != null ? String.format("%.3f", ms(cL, 50)) : "-",
            cL != null ? String.format("%.2f", ms(u.latency(), 50) / ms(cL, 50)) : "-",
            "");
        System.out.printf(
            fmt,
            p + "p99 @" + RATE + "/s (ms)",
            String.format("%.3f", ms(u.latency(), 99)),
            cL != null ? String.format("%.3f", ms(cL, 99)) : "-",
            cL != null ? String.format("%.2f", ms(u.latency(), 99) / ms(cL, 99)) : "-",
            "");
        System.out.printf(
            fmt,
            p + (u.fromLaunch() ? "first answer (s)" : "one review (ms)"),
            u.fromLaunch()
                ? String.format("%.3f", u.firstReviewSeconds())
                : String.format("%.1f", u.firstReviewSeconds() * 1000),
            u.fromLaunch() ? String.format("%.3f", startup[1]) : "-",
            u.fromLaunch() ? String.format("%.2f", u.firstReviewSeconds() / startup[1]) : "-",
            "");
        if (u.apiCalls() >= 0) {
          System.out.printf(
              fmt,
              p + "API calls/review",
              String.format("%.2f", (double) u.apiCalls() / u.reviews()),
              "-",
              "-",
              String.format("%,d calls, %,d reviews", u.apiCalls(), u.reviews()));
        }
        System.out.printf(
            fmt, p + "RSS after (MiB)", String.format("%.1f", u.rssKib() / 1024.0), "-", "-", "");
        long e = u.throughput().errors() + u.latency().errors();
        System.out.printf(
            fmt, p + "non-200 answers", String.valueOf(e), "", "", verdict(e == 0, "0"));
      }
      for (Unhappy u : unhappy) {
        System.out.println();
        System.out.println(u.label() + ": " + u.meaning() + ".");
        System.out.println("  answer: " + u.answer());
        System.out.println("  answers of its runs (status, first warning): " + u.underLoad());
        if (!u.fromLaunch()) {
          System.out.printf(
              "  API: %s; %s %.1f ms%n",
              u.apiDetail(), u.firstReviewWhat(), u.firstReviewSeconds() * 1000);
          if (u.throughput().requestsPerSecond() < RATE) {
            System.out.printf(
                "  %,.0f req/s is below the %,d req/s of the latency run: its p50/p99 measure the "
                    + "backlog that builds up, not one review%n",
                u.throughput().requestsPerSecond(), RATE);
          }
        }
      }
      printJdks();
      if (!jmh.isEmpty()) {
        System.out.println();
        System.out.println(
            "JMH, engine alone (parse review, decide, build patch), average time per review "
                + "(parseDecidePatch is the handler's path; fullTreeDecidePatch reads the whole tree, for comparison):");
        for (Map.Entry<String, double[]> e : jmh.entrySet()) {
          System.out.printf(
              "  %s %10.2f us +- %.2f%n", e.getKey(), e.getValue()[0], e.getValue()[1]);
        }
      }
      System.out.println();
      System.out.println(
          "Figures from a shared machine are noisy; compare the ratios, and rerun on a quiet machine.");
    }

    /** The JDKs side by side (bench.compare-jdk): start-up, and the typical pod against a ceiling on the same JDK. */
    void printJdks() {
      if (starts.size() < 2) {
        return;
      }
      List<Jdk> jdks = new ArrayList<>(starts.keySet());
      System.out.println();
      System.out.printf(
          "JDKs side by side (shipped: %s): each JDK's webhook against a ceiling on the same JDK, with "
              + "the JVM options above (less what an older JDK does not know), typical pod%n",
          SHIPPED.label());
      String fmt = "| %-40s |" + " %-22s |".repeat(jdks.size()) + " %-26s |%n";
      List<Object> head = new ArrayList<>(List.of("figure"));
      jdks.forEach(j -> head.add(j.label() + (j == SHIPPED ? " (shipped)" : "")));
      head.add("target (shipped)");
      System.out.printf(fmt, head.toArray());
      List<Object> rule = new ArrayList<>(List.of("-".repeat(40)));
      jdks.forEach(j -> rule.add("-".repeat(22)));
      rule.add("-".repeat(26));
      System.out.printf(fmt, rule.toArray());
      row(
          fmt,
          jdks,
          "start-up cache",
          j ->
              starts.get(j).cache()
                  + (starts.get(j).cacheMiB() > 0
                      ? String.format(
                          " %.0f MiB%s",
                          starts.get(j).cacheMiB(), starts.get(j).mapped() ? "" : " UNUSED")
                      : ""),
          "");
      row(
          fmt,
          jdks,
          "1st answer, no cache, median of " + STARTS + " (s)",
          j ->
              String.format(
                  "%.3f (%.2f CPU)",
                  median(starts.get(j).plain()), median(starts.get(j).plainCpu())),
          "");
      row(
          fmt,
          jdks,
          "1st answer, cache, median of " + STARTS + " (s)",
          j ->
              String.format(
                  "%.3f (%.2f CPU)",
                  median(starts.get(j).cached()), median(starts.get(j).cachedCpu())),
          verdict(median(starts.get(SHIPPED).cached()) <= 0.5, "<= 0.5 s"));
      row(
          fmt,
          jdks,
          "throughput typical, webhook/ceiling",
          j ->
              loads.containsKey(j)
                  ? String.format(
                      "%.2f (%,.0f/%,.0f)",
                      loads.get(j).webhook().requestsPerSecond()
                          / loads.get(j).ceiling().requestsPerSecond(),
                      loads.get(j).webhook().requestsPerSecond(),
                      loads.get(j).ceiling().requestsPerSecond())
                  : "-",
          loads.containsKey(SHIPPED)
              ? verdict(
                  loads.get(SHIPPED).webhook().requestsPerSecond()
                          / loads.get(SHIPPED).ceiling().requestsPerSecond()
                      >= 0.5,
                  ">= 0.50")
              : "");
      row(
          fmt,
          jdks,
          "server CPU/request typical, webhook/ceiling (us)",
          j ->
              loads.containsKey(j)
                  ? String.format(
                      "%.0f / %.0f", loads.get(j).cpuMicros(), loads.get(j).ceilingCpuMicros())
                  : "-",
          "");
      row(
          fmt,
          jdks,
          "p99 typical @" + RATE + "/s, webhook/ceiling (ms)",
          j ->
              loads.containsKey(j)
                  ? String.format(
                      "%.3f / %.3f",
                      ms(loads.get(j).webhookLatency(), 99), ms(loads.get(j).ceilingLatency(), 99))
                  : "-",
          loads.containsKey(SHIPPED)
              ? verdict(
                  ms(loads.get(SHIPPED).webhookLatency(), 99)
                          - ms(loads.get(SHIPPED).ceilingLatency(), 99)
                      <= 1.0,
                  "<= ceiling + 1 ms")
              : "");
      row(
          fmt,
          jdks,
          "RSS after load, webhook/ceiling (MiB)",
          j ->
              loads.containsKey(j)
                  ? String.format(
                      "%.0f / %.0f",
                      loads.get(j).rssKib() / 1024.0, loads.get(j).ceilingRssKib() / 1024.0)
                  : "-",
          loads.containsKey(SHIPPED)
              ? verdict(loads.get(SHIPPED).rssKib() <= 150 * 1024, "<= 150 MiB")
              : "");
    }

    private static void row(
        String fmt,
        List<Jdk> jdks,
        String figure,
        java.util.function.Function<Jdk, String> cell,
        String target) {
      List<Object> r = new ArrayList<>(List.of(figure));
      jdks.forEach(j -> r.add(cell.apply(j)));
      r.add(target);
      System.out.printf(fmt, r.toArray());
    }

    private static String verdict(boolean met, String target) {
      return (met ? "met: " : "MISSED: ") + target;
    }
  }

  static double ms(Latency l, double percentile) {
    return l.micros().getValueAtPercentile(percentile) / 1000.0;
  }

  private static long rssKib(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no VmRSS for pid " + pid);
  }

  /** utime + stime of each thread of a process, in clock ticks, by thread name with its numbers dropped. */
  private static Map<String, Long> threadTicks(long pid) throws IOException {
    Map<String, Long> ticks = new java.util.TreeMap<>();
    try (var tasks = Files.list(Path.of("/proc", String.valueOf(pid), "task"))) {
      for (Path task : tasks.toList()) {
        try {
          String stat = Files.readString(task.resolve("stat"));
          String name =
              stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
                  .replaceAll("[0-9]+", "N");
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          ticks.merge(name, Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum);
        } catch (IOException gone) {
          // the thread ended meanwhile
        }
      }
    }
    return ticks;
  }

  /** The threads that used the most CPU between two {@link #threadTicks} readings, with their shares. */
  private static String cpuShares(Map<String, Long> before, Map<String, Long> after) {
    Map<String, Long> delta = new java.util.HashMap<>();
    after.forEach((name, t) -> delta.put(name, t - before.getOrDefault(name, 0L)));
    long all = Math.max(1, delta.values().stream().mapToLong(Long::longValue).sum());
    return delta.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .limit(8)
        .map(e -> String.format(Locale.ROOT, "%s %.0f%%", e.getKey(), 100.0 * e.getValue() / all))
        .collect(java.util.stream.Collectors.joining(", "));
  }

  /** USER_HZ: the unit of utime and stime in /proc/<pid>/stat; 100 on every Linux this runs on. */
  private static final double CLOCK_TICKS =
      Double.parseDouble(System.getProperty("bench.clock-ticks", "100"));

  /** utime + stime of a process, in clock ticks. */
  private static long cpuTicks(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15 of proc(5)
  }

  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException e) {
      // not Linux: leave it unknown
    }
    return "unknown";
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Whether the process has {@code file} mapped (a CDS archive the JVM uses is mapped; one it refused is not). */
  private static boolean mapped(long pid, Path file) throws IOException {
    String wanted = file.toAbsolutePath().normalize().toString();
    return Files.readAllLines(Path.of("/proc", String.valueOf(pid), "maps")).stream()
        .anyMatch(l -> l.endsWith(" " + wanted));
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static List<String> split(String s) {
    return s.isBlank() ? List.of() : List.of(s.trim().split("\\s+"));
  }

  private static void progress(String format, Object... args) {
    System.out.printf(
        Locale.ROOT,
        "[bench %6.1fs] %s%n",
        (System.nanoTime() - BENCH_START) / 1e9,
        String.format(format, args));
    System.out.flush();
  }
}
