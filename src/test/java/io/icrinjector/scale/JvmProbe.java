package io.icrinjector.scale;

import io.icrinjector.e2e.Processes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Memory of a running JVM from outside: the live heap (the total of {@code jcmd GC.class_histogram}, which counts
 * live objects after the full GC it runs, preceded by a {@code GC.run}), and RSS and its peak from
 * {@code /proc/<pid>/status}.
 */
final class JvmProbe {

  private static final Pattern TOTAL = Pattern.compile("(?m)^Total\\s+(\\d+)\\s+(\\d+)\\s*$");
  private static final Pattern USED = Pattern.compile("used (\\d+)K");

  private JvmProbe() {}

  /** Memory figures in bytes: the live heap, the heap used after the GC as GC.heap_info says, RSS and peak RSS. */
  record Memory(long liveHeap, long heapUsed, long rss, long peakRss) {}

  static Memory measure(long pid) {
    jcmd(pid, "GC.run");
    String histogram = jcmd(pid, "GC.class_histogram");
    Matcher total = TOTAL.matcher(histogram);
    if (!total.find()) {
      throw new IllegalStateException("no Total line in the class histogram of " + pid);
    }
    String heapInfo = jcmd(pid, "GC.heap_info");
    long used = 0;
    for (String line : heapInfo.split("\n")) {
      Matcher m = USED.matcher(line);
      if (!line.contains("Metaspace") && !line.contains("class space") && m.find()) {
        used += Long.parseLong(m.group(1)) * 1024;
      }
    }
    return new Memory(
        Long.parseLong(total.group(2)), used, status(pid, "VmRSS"), status(pid, "VmHWM"));
  }

  /** A /proc/pid/status field in bytes (its value is in kB). */
  static long status(long pid, String field) {
    try {
      for (String line : Files.readAllLines(Paths.get("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith(field + ":")) {
          return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
        }
      }
      throw new IllegalStateException("no " + field + " in /proc/" + pid + "/status");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String jcmd(long pid, String command) {
    return Processes.run(
        List.of(
            Paths.get(System.getProperty("java.home"), "bin", "jcmd").toString(),
            Long.toString(pid),
            command),
        null);
  }
}
