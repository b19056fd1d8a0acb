package io.icrinjector.scale;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code make scale}: issue 20's measurements at full sizes, one fresh control plane per size, one table at the end
 * (also written to target/scale/table.md). Settings, as system properties: {@code scale.sizes} (namespaces, comma
 * separated; default 1000,5000,10000,20000), {@code scale.pods} (pods per namespace, default 10),
 * {@code scale.foreign} (namespaces holding a same-named secret that is not ours, default 100),
 * {@code scale.concurrency} (parallel create requests, default 16), {@code scale.settle} (seconds counted after the
 * restart is ready, default 15).
 */
public final class ScaleSuite {

  private ScaleSuite() {}

  public static void main(String[] args) throws IOException {
    int[] sizes =
        Arrays.stream(System.getProperty("scale.sizes", "1000,5000,10000,20000").split(","))
            .map(String::trim)
            .filter(s -> !s.isEmpty())
            .mapToInt(Integer::parseInt)
            .toArray();
    int pods = Integer.getInteger("scale.pods", 10);
    int foreign = Integer.getInteger("scale.foreign", 100);
    int concurrency = Integer.getInteger("scale.concurrency", 16);
    int settle = Integer.getInteger("scale.settle", 15);
    List<ScaleRow> rows = new ArrayList<>();
    for (int size : sizes) {
      rows.add(run(size, pods, Math.min(foreign, size / 5), concurrency, settle));
      System.out.println("\n" + ScaleRow.table(rows));
    }
    Path out = Paths.get("target", "scale", "table.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, ScaleRow.table(rows));
    System.out.println(
        "scale: sizes "
            + Arrays.toString(sizes)
            + ", "
            + pods
            + " pods per namespace, "
            + foreign
            + " foreign secrets, "
            + concurrency
            + " parallel requests; "
            + Runtime.getRuntime().availableProcessors()
            + " cores\n"
            + ScaleRow.table(rows)
            + "(also in "
            + out
            + ")");
  }

  /** One size on a fresh control plane; a webhook that dies ends the size with what was measured so far. */
  static ScaleRow run(int size, int pods, int foreign, int concurrency, int settle) {
    double heap = Double.NaN;
    double rss = Double.NaN;
    double peakRss = Double.NaN;
    double copy = Double.NaN;
    double rotation = Double.NaN;
    double peak = Double.NaN;
    double mean = Double.NaN;
    double restart = Double.NaN;
    long calls = -1;
    long writes = -1;
    String oom = "no";
    String phase = "start";
    Duration timeout = Duration.ofSeconds(Math.max(300, size / 5));
    ScaleCluster c = ScaleCluster.start(concurrency);
    try {
      phase = "namespaces";
      c.growNamespaces(size, foreign);
      phase = "copies";
      long start = System.nanoTime();
      c.createPods(0, 0, 1);
      c.awaitCopies("copies", timeout);
      copy = (System.nanoTime() - start) / 1e9;
      phase = "pods";
      c.createPods(0, 1, pods);
      phase = "memory";
      JvmProbe.Memory m = c.memory();
      heap = ScaleCluster.mib(m.liveHeap());
      rss = ScaleCluster.mib(m.rss());
      peakRss = ScaleCluster.mib(m.peakRss());
      phase = "rotation";
      ScaleCluster.Rotation r = c.rotate(timeout);
      rotation = r.seconds();
      peak = r.peakPerSecond();
      mean = r.meanPerSecond();
      peakRss = Math.max(peakRss, ScaleCluster.mib(JvmProbe.status(c.webhookPid(), "VmHWM")));
      phase = "restart";
      ApiServerMetrics.Counts before = c.requests();
      restart = c.restartWebhook();
      Thread.sleep(
          settle * 1000L); // a measurement window, not a check: what the restart cost in the 15 s
      // after ready
      ApiServerMetrics.Counts d = c.requestsSince(before);
      calls = d.total();
      writes = d.copyWrites();
      c.progress(
          "restart: %d API requests from stop to %d s after ready, %d writes of secrets or events: %s",
          calls, settle, writes, d);
      phase = "after restart";
      peakRss = Math.max(peakRss, ScaleCluster.mib(c.memory().peakRss()));
      List<String> touched = c.touchedForeignSecrets();
      c.progress("foreign secrets touched: %d of %d %s", touched.size(), c.foreignCount(), touched);
      List<String> problems = c.webhookProblems();
      c.progress(
          "webhook WARN/ERROR lines: %d%s",
          problems.size(),
          problems.isEmpty()
              ? ""
              : "\n  " + String.join("\n  ", problems.subList(0, Math.min(20, problems.size()))));
      if (!c.webhookAlive()) {
        throw new ScaleCluster.WebhookDied("after restart");
      }
    } catch (RuntimeException e) {
      boolean died = !c.webhookAlive();
      c.progress("size %d stopped in phase %s: %s", size, phase, e.getMessage());
      oom =
          died
              ? (c.webhookRanOutOfMemory() ? "yes (" + phase + ")" : "exited (" + phase + ")")
                  + crashLoop(c)
              : "no; failed: " + String.valueOf(e).lines().findFirst().orElse("");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } finally {
      c.close();
    }
    return new ScaleRow(
        size,
        size * pods,
        heap,
        rss,
        peakRss,
        copy,
        rotation,
        peak,
        mean,
        restart,
        calls,
        writes,
        oom);
  }

  /** After a death, starts the webhook once more, as the kubelet would, and says whether it lives 60 s. */
  private static String crashLoop(ScaleCluster c) {
    try {
      c.restartWebhook();
      for (int i = 0; i < 60 && c.webhookAlive(); i++) {
        Thread.sleep(1000);
      }
      return c.webhookAlive()
          ? "; restarted and up 60 s later"
          : "; restarted, died again: crash loop";
    } catch (ScaleCluster.WebhookDied e) {
      return "; restarted, died before ready: crash loop";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }
}
