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
import java.util.concurrent.TimeUnit;
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
 * {@code bench.cds} (false: the webhook without its AppCDS archive, and no launch without it for comparison).
 */
public final class Bench {

  private static final Path OUT = Path.of("target", "bench");
  private static final String JAR = System.getProperty("bench.jar", "target/quarkus-app/quarkus-run.jar");
  private static final List<String> JVM_OPTS = split(System.getProperty("bench.jvm-opts", "-Xmx128m"));
  private static final List<String> WEBHOOK_EXTRA = split(System.getProperty("bench.webhook-extra-opts", ""));
  private static final double SECONDS = Double.parseDouble(System.getProperty("bench.seconds", "10"));
  private static final double WARMUP = Double.parseDouble(System.getProperty("bench.warmup-seconds", "3"));
  private static final int CONNECTIONS = Integer.getInteger("bench.connections", 16);
  private static final int RATE = Integer.getInteger("bench.rate", 1000);
  private static final int NPROC = Runtime.getRuntime().availableProcessors();
  /** Quarkus's default number of I/O threads (quarkus.http.io-threads) is twice the cores; the ceiling gets as many. */
  private static final int EVENT_LOOPS = Integer.getInteger("bench.event-loops", 2 * NPROC);
  private static final List<Size> SIZES = Arrays.stream(System.getProperty("bench.sizes", "small,typical,large")
      .split(",")).map(x -> Size.valueOf(x.trim().toUpperCase(Locale.ROOT))).toList();
  private static final boolean JMH = Boolean.parseBoolean(System.getProperty("bench.jmh", "true"));
  private static final String PATH = "/mutate";
  private static final long BENCH_START = System.nanoTime();
  /** Whether the webhook runs with an AppCDS archive of its own (made here for this JVM), as the image does. */
  private static final boolean CDS = Boolean.parseBoolean(System.getProperty("bench.cds", "true"));
  private static final Path ARCHIVE = OUT.resolve("app-cds.jsa");

  private Bench() {}

  /** Entry point of {@code make bench}. */
  public static void main(String[] args) throws Exception {
    Files.createDirectories(OUT);
    String cpu = cpuModel();
    String jdk = System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version");
    progress("machine: nproc=%d, cpu=%s, jdk=%s; server JVM options: %s", NPROC, cpu, jdk, String.join(" ", JVM_OPTS));
    progress("load: %d connections, %.0f s (+%.0f s warm-up) per throughput run; %d req/s for %.0f s (+%.0f s) per latency run",
        CONNECTIONS, SECONDS, WARMUP, RATE, SECONDS, WARMUP);

    Map<Size, byte[]> reviews = new EnumMap<>(Size.class);
    for (Size size : Size.values()) {
      byte[] review = PodReviews.review(size);
      reviews.put(size, review);
      Files.write(OUT.resolve("review-" + size.label() + ".json"), review);
    }
    progress("reviews: small %,d B, typical %,d B, large %,d B (target/bench/review-*.json)",
        reviews.get(Size.SMALL).length, reviews.get(Size.TYPICAL).length, reviews.get(Size.LARGE).length);

    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(NPROC));
    Results results = new Results();
    HttpClient probe = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(2)).build();
    try (FakeApiServer api = new FakeApiServer(vertx, PodReviews.NAMESPACE)) {
      progress("fake Kubernetes API server on 127.0.0.1:%d", api.port());

      // The AppCDS archive of the webhook for this JVM, made as the image makes its own (a training run of the jar's
      // cds-training command, src/main/docker/Dockerfile.jvm), then the first answer without it and with it; the
      // webhook started with the archive is the one the load runs against.
      List<String> archiveOpts = List.of();
      if (CDS) {
        Files.deleteIfExists(ARCHIVE);
        List<String> training = webhookCmd(List.of("-XX:ArchiveClassesAtExit=" + ARCHIVE), freePort(), api.port());
        training.add("cds-training");
        progress("AppCDS: training run: %s", String.join(" ", training));
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(training).redirectErrorStream(true)
            .redirectOutput(OUT.resolve("cds-training.log").toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0 || !Files.isRegularFile(ARCHIVE)) {
          p.destroyForcibly();
          throw new IllegalStateException("the AppCDS training run failed (see target/bench/cds-training.log)");
        }
        progress("AppCDS: %s, %.1f MiB, made in %.1f s (log target/bench/cds-training.log)", ARCHIVE,
            Files.size(ARCHIVE) / 1048576.0, (System.nanoTime() - t0) / 1e9);
        archiveOpts = List.of("-XX:SharedArchiveFile=" + ARCHIVE, "-Xshare:auto");
        int plainPort = freePort();
        Server plain = Server.start("webhook-no-cds", webhookCmd(List.of(), plainPort, api.port()), plainPort,
            reviews.get(Size.SMALL), probe);
        results.startupWithoutArchive = plain.startupSeconds;
        results.startupCpuWithoutArchive = plain.startupCpuSeconds;
        progress("webhook without the archive answered its first review %.3f s after launch (%.2f s of CPU)",
            plain.startupSeconds, plain.startupCpuSeconds);
        plain.stop();
      }
      int webhookPort = freePort();
      List<String> webhookCmd = webhookCmd(archiveOpts, webhookPort, api.port());
      progress("starting the webhook: %s", String.join(" ", webhookCmd));
      Server webhook = Server.start("webhook", webhookCmd, webhookPort, reviews.get(Size.SMALL), probe);
      results.startup[0] = webhook.startupSeconds;
      results.startupCpu = webhook.startupCpuSeconds;
      if (CDS) {
        // -Xshare:auto runs on without the archive when it does not match: only the process's mappings tell.
        results.archiveMapped = mapped(webhook.process.pid(), ARCHIVE);
        progress("AppCDS archive %s: %s", ARCHIVE, results.archiveMapped ? "mapped (used)" : "NOT mapped (not used)");
      }
      progress("webhook answered its first review %.3f s after launch (%.2f s of CPU; pid %d, log target/bench/webhook.log)",
          webhook.startupSeconds, webhook.startupCpuSeconds, webhook.process.pid());

      List<String> ceilingArgs = new ArrayList<>();
      for (Size size : Size.values()) {
        byte[] answer = answer(probe, webhookPort, reviews.get(size), size);
        Path request = OUT.resolve("review-" + size.label() + ".json");
        Path answerFile = OUT.resolve("answer-" + size.label() + ".json");
        Files.write(answerFile, answer);
        ceilingArgs.add(request + "=" + answerFile);
        progress("webhook answer for the %s pod: %,d B (target/bench/answer-%s.json)", size.label(), answer.length,
            size.label());
      }

      int ceilingPort = freePort();
      List<String> ceilingCmd = new ArrayList<>(List.of(java()));
      ceilingCmd.addAll(JVM_OPTS);
      ceilingCmd.addAll(List.of("-cp", System.getProperty("java.class.path"), CeilingServer.class.getName(),
          String.valueOf(ceilingPort), String.valueOf(EVENT_LOOPS)));
      ceilingCmd.addAll(ceilingArgs);
      progress("starting the ceiling (bare Vert.x, %d event loops, fixed answers of the same bytes)", EVENT_LOOPS);
      Server ceiling = Server.start("ceiling", ceilingCmd, ceilingPort, reviews.get(Size.SMALL), probe);
      results.startup[1] = ceiling.startupSeconds;
      progress("ceiling answered its first review %.3f s after launch", ceiling.startupSeconds);

      try {
        LoadClient client = new LoadClient(vertx, NPROC);
        long apiBefore = api.requests();
        for (Server s : List.of(webhook, ceiling)) {
          progress("warm-up: %s, typical pod, %.0f s", s.name, 2 * SECONDS);
          client.throughput(s.port, PATH, reviews.get(Size.TYPICAL), CONNECTIONS, 0, 2 * SECONDS);
        }
        for (Size size : SIZES) {
          for (int i = 0; i < 2; i++) {
            Server s = i == 0 ? webhook : ceiling;
            client.throughput(s.port, PATH, reviews.get(size), CONNECTIONS, 0, WARMUP);
            long cpuBefore = cpuTicks(s.process.pid());
            Throughput t = client.throughput(s.port, PATH, reviews.get(size), CONNECTIONS, 0, SECONDS);
            // CPU time of the server process (every thread: I/O, logging, GC, JIT) per request answered during
            // the measurement: unlike req/s it moves little when other work shares the machine.
            double cpuMicros = (cpuTicks(s.process.pid()) - cpuBefore) * 1e6 / CLOCK_TICKS
                / t.completedInAll();
            results.throughput.get(size)[i] = t;
            results.cpuPerRequest.get(size)[i] = cpuMicros;
            progress("throughput %-7s %-7s %,10.0f req/s (%,d requests, %d errors), server CPU %.0f us/request",
                size.label(), s.name, t.requestsPerSecond(), t.requests(), t.errors(), cpuMicros);
          }
        }
        for (Size size : SIZES) {
          for (int i = 0; i < 2; i++) {
            Server s = i == 0 ? webhook : ceiling;
            Latency l = client.fixedRate(s.port, PATH, reviews.get(size), RATE, CONNECTIONS, WARMUP, SECONDS);
            results.latency.get(size)[i] = l;
            progress("latency    %-7s %-7s p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms at %d req/s "
                    + "(%,d requests, %d errors)", size.label(), s.name, ms(l, 50), ms(l, 99), ms(l, 99.9),
                l.micros().getMaxValue() / 1000.0, RATE, l.requests(), l.errors());
          }
        }
        results.apiCalls = api.requests() - apiBefore;
        results.apiCallsTotal = api.requests();
        progress("Kubernetes API requests: %d during load, %d in all %s", results.apiCalls, results.apiCallsTotal,
            api.byPath());
        results.rssKib[0] = rssKib(webhook.process.pid());
        results.rssKib[1] = rssKib(ceiling.process.pid());
        progress("RSS after load: webhook %,d KiB, ceiling %,d KiB", results.rssKib[0], results.rssKib[1]);
        if (JVM_OPTS.stream().anyMatch(o -> o.startsWith("-XX:NativeMemoryTracking"))) {
          // Where the webhook's RSS goes, when the JVM options ask for native memory tracking.
          new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
              String.valueOf(webhook.process.pid()), "VM.native_memory", "summary")
              .redirectOutput(OUT.resolve("webhook-nmt.txt").toFile()).start().waitFor(30, TimeUnit.SECONDS);
          progress("native memory summary in target/bench/webhook-nmt.txt");
        }
      } finally {
        webhook.stop();
        ceiling.stop();
      }
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    if (JMH) {
      progress("JMH: the engine alone (parse, decide, patch) per pod size, 1 fork, 3 x 1 s warm-up, 5 x 1 s");
      var options = new OptionsBuilder().include(EngineBenchmark.class.getName()).forks(1)
          .warmupIterations(3).warmupTime(TimeValue.seconds(1))
          .measurementIterations(5).measurementTime(TimeValue.seconds(1))
          .jvmArgs("-Xmx128m").shouldFailOnError(true)
          .output(OUT.resolve("jmh.txt").toString()).build();
      for (RunResult r : new Runner(options).run()) {
        String method = r.getParams().getBenchmark().substring(r.getParams().getBenchmark().lastIndexOf('.') + 1);
        results.jmh.put(String.format("%-20s %-8s", method, r.getParams().getParam("size").toLowerCase(Locale.ROOT)),
            new double[] {r.getPrimaryResult().getScore(), r.getPrimaryResult().getScoreError()});
      }
      progress("JMH done (target/bench/jmh.txt)");
    }
    results.print(cpu, jdk);
  }

  /** The webhook's answer to one review, checked: 200, uid echoed, a patch with one replace per container. */
  private static byte[] answer(HttpClient probe, int port, byte[] review, Size size) throws Exception {
    HttpResponse<byte[]> r = probe.send(post(port, review), HttpResponse.BodyHandlers.ofByteArray());
    String text = new String(r.body(), StandardCharsets.UTF_8);
    var tree = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
    var response = tree.path("response");
    if (r.statusCode() != 200 || !response.path("allowed").asBoolean() || !response.has("patch")) {
      throw new IllegalStateException("the webhook did not patch the " + size.label() + " pod: " + r.statusCode() + " " + text);
    }
    String patch = new String(Base64.getDecoder().decode(response.path("patch").asText()), StandardCharsets.UTF_8);
    long replaces = Arrays.stream(patch.split("\"op\":\"replace\"", -1)).count() - 1;
    int images = new com.fasterxml.jackson.databind.ObjectMapper().readTree(review).path("request").path("object")
        .path("spec").findValues("image").size();
    if (replaces != images) {
      throw new IllegalStateException("the " + size.label() + " pod has " + images + " images and " + replaces + " rewrites");
    }
    return r.body();
  }

  static HttpRequest post(int port, byte[] review) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + PATH)).timeout(Duration.ofSeconds(5))
        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(review)).build();
  }

  /** A JVM the benchmark started, with the time from its launch to its first 200. */
  static final class Server {
    final String name;
    final Process process;
    final int port;
    final double startupSeconds;
    /** CPU time (utime + stime) the process had used when it gave its first 200: steadier than wall time. */
    final double startupCpuSeconds;

    private Server(String name, Process process, int port, double startupSeconds, double startupCpuSeconds) {
      this.name = name;
      this.process = process;
      this.port = port;
      this.startupSeconds = startupSeconds;
      this.startupCpuSeconds = startupCpuSeconds;
    }

    static Server start(String name, List<String> cmd, int port, byte[] review, HttpClient probe) throws Exception {
      HttpRequest request = post(port, review);
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
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
          throw new IllegalStateException(name + " did not answer a review (see target/bench/" + name + ".log)");
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
      System.out.printf("server JVM options: %s; loopback; %d connections; %d req/s open loop; %.0f s per run%n",
          String.join(" ", JVM_OPTS), CONNECTIONS, RATE, SECONDS);
      String fmt = "| %-34s | %12s | %12s | %9s | %-24s |%n";
      System.out.printf(fmt, "figure", "webhook", "ceiling", "ratio", "target");
      System.out.printf(fmt, "-".repeat(34), "-".repeat(12), "-".repeat(12), "-".repeat(9), "-".repeat(24));
      for (Size s : SIZES) {
        double w = throughput.get(s)[0].requestsPerSecond();
        double c = throughput.get(s)[1].requestsPerSecond();
        String target = s == Size.TYPICAL ? verdict(w / c >= 0.5, "ratio >= 0.50") : "";
        System.out.printf(fmt, "throughput " + s.label() + " (req/s)", String.format("%,.0f", w),
            String.format("%,.0f", c), String.format("%.2f", w / c), target);
      }
      for (Size s : SIZES) {
        double w = cpuPerRequest.get(s)[0];
        double c = cpuPerRequest.get(s)[1];
        System.out.printf(fmt, "server CPU/request " + s.label() + " (us)", String.format("%,.0f", w),
            String.format("%,.0f", c), String.format("%.2f", w / c), "");
      }
      for (Size s : SIZES) {
        Latency w = latency.get(s)[0];
        Latency c = latency.get(s)[1];
        System.out.printf(fmt, "p50 " + s.label() + " @" + RATE + "/s (ms)", String.format("%.3f", ms(w, 50)),
            String.format("%.3f", ms(c, 50)), String.format("%.2f", ms(w, 50) / ms(c, 50)), "");
        String target = switch (s) {
          case TYPICAL -> verdict(ms(w, 99) - ms(c, 99) <= 1.0, String.format("<= ceiling+1 (%+.2f)", ms(w, 99) - ms(c, 99)));
          case LARGE -> verdict(ms(w, 99) < 5.0, "< 5 ms");
          default -> "";
        };
        System.out.printf(fmt, "p99 " + s.label() + " @" + RATE + "/s (ms)", String.format("%.3f", ms(w, 99)),
            String.format("%.3f", ms(c, 99)), String.format("%.2f", ms(w, 99) / ms(c, 99)), target);
      }
      System.out.printf(fmt, "RSS after load (MiB)", String.format("%.1f", rssKib[0] / 1024.0),
          String.format("%.1f", rssKib[1] / 1024.0), String.format("%.2f", (double) rssKib[0] / rssKib[1]),
          verdict(rssKib[0] <= 150 * 1024, "<= 150 MiB"));
      System.out.printf(fmt, "launch to first answer (s)", String.format("%.3f", startup[0]),
          String.format("%.3f", startup[1]), String.format("%.2f", startup[0] / startup[1]),
          verdict(startup[0] <= 1.0, "<= 1.0 s"));
      System.out.printf(fmt, "  AppCDS archive of the webhook", !CDS ? "off" : archiveMapped ? "used" : "NOT USED", "-",
          "-", CDS ? "mapped, from /proc/pid/maps" : "-Dbench.cds=false");
      System.out.printf(fmt, "  CPU to first answer (s)", String.format("%.2f", startupCpu), "-", "-", "");
      if (CDS) {
        System.out.printf(fmt, "  first answer, no archive (s)", String.format("%.3f", startupWithoutArchive), "-",
            String.format("%.2f", startup[0] / startupWithoutArchive), "with/without");
        System.out.printf(fmt, "  CPU to 1st answer, no archive (s)", String.format("%.2f", startupCpuWithoutArchive),
            "-", String.format("%.2f", startupCpu / startupCpuWithoutArchive), "with/without");
      }
      System.out.printf(fmt, "API calls during load", String.valueOf(apiCalls), "-", "-",
          verdict(apiCalls == 0, "0") + " (" + apiCallsTotal + " in all)");
      long errors = 0;
      for (Size s : SIZES) {
        for (int i = 0; i < 2; i++) {
          errors += throughput.get(s)[i].errors() + latency.get(s)[i].errors();
        }
      }
      System.out.printf(fmt, "non-200 answers or failures", String.valueOf(errors), "", "", verdict(errors == 0, "0"));
      if (!jmh.isEmpty()) {
        System.out.println();
        System.out.println("JMH, engine alone (parse review, decide, build patch), average time per review "
            + "(parseDecidePatch is the handler's path; fullTreeDecidePatch reads the whole tree, for comparison):");
        for (Map.Entry<String, double[]> e : jmh.entrySet()) {
          System.out.printf("  %s %10.2f us +- %.2f%n", e.getKey(), e.getValue()[0], e.getValue()[1]);
        }
      }
      System.out.println();
      System.out.println("Figures from a shared machine are noisy; compare the ratios, and rerun on a quiet machine.");
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

  /** USER_HZ: the unit of utime and stime in /proc/<pid>/stat; 100 on every Linux this runs on. */
  private static final double CLOCK_TICKS = Double.parseDouble(System.getProperty("bench.clock-ticks", "100"));

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

  /** The webhook's command line: the JVM options, {@code extra}, the ports and the fake API server, the jar. */
  private static List<String> webhookCmd(List<String> extra, int port, int apiPort) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(java()));
    cmd.addAll(JVM_OPTS);
    cmd.addAll(WEBHOOK_EXTRA);
    cmd.addAll(extra);
    cmd.addAll(List.of(
        "-Dquarkus.http.host=127.0.0.1",
        "-Dquarkus.http.port=" + port,
        "-Dquarkus.management.port=" + freePort(),
        // quarkus.kubernetes-client.api-server-url (and -token, -trust-certs, -namespace) are fixed at build
        // time in Quarkus 3.33, so a run-time -D is ignored with a warning; the fabric8 client's own system
        // properties are read at start-up and reach the client Quarkus builds.
        "-Dkubernetes.master=http://127.0.0.1:" + apiPort,
        "-Dkubernetes.trust.certificates=true",
        "-Dkubernetes.auth.token=bench",
        "-Dkubernetes.namespace=icr-injector",
        "-Dkubernetes.auth.tryKubeConfig=false",
        "-Dkubernetes.auth.tryServiceAccount=false",
        "-Dicr.webhook-namespace=icr-injector",
        "-jar", JAR));
    return cmd;
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
    System.out.printf(Locale.ROOT, "[bench %6.1fs] %s%n", (System.nanoTime() - BENCH_START) / 1e9,
        String.format(format, args));
    System.out.flush();
  }
}
