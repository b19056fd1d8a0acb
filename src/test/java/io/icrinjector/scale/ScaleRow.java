package io.icrinjector.scale;

import java.util.List;
import java.util.Locale;

/** One size's figures, as the table of {@code make scale} prints them; NaN (or -1) where the run did not get there. */
record ScaleRow(
    int namespaces,
    int pods,
    double liveHeapMiB,
    double rssMiB,
    double peakRssMiB,
    double copySeconds,
    double rotationSeconds,
    double writesPeak,
    double writesMean,
    double restartSeconds,
    long restartCalls,
    long restartWrites,
    String oom) {

  static final String HEADER =
      String.format(
          Locale.ROOT,
          "| %10s | %9s | %9s | %13s | %9s | %9s | %16s | %9s | %18s | %s |",
          "namespaces",
          "pods",
          "live heap",
          "RSS (peak)",
          "copy",
          "rotation",
          "writes/s peak/mean",
          "restart",
          "API calls (writes)",
          "OOM");
  static final String RULE = HEADER.replaceAll("[^|]", "-");

  static String table(List<ScaleRow> rows) {
    StringBuilder b = new StringBuilder(HEADER).append('\n').append(RULE).append('\n');
    rows.forEach(r -> b.append(r.line()).append('\n'));
    return b.toString();
  }

  String line() {
    return String.format(
        Locale.ROOT,
        "| %10s | %9s | %9s | %13s | %9s | %9s | %16s | %9s | %18s | %s |",
        String.format(Locale.ROOT, "%,d", namespaces),
        String.format(Locale.ROOT, "%,d", pods),
        num(liveHeapMiB, "%.1f MiB"),
        num(rssMiB, "%.0f") + " (" + num(peakRssMiB, "%.0f") + ") MiB",
        num(copySeconds, "%.1f s"),
        num(rotationSeconds, "%.1f s"),
        num(writesPeak, "%.0f") + " / " + num(writesMean, "%.0f"),
        num(restartSeconds, "%.2f s"),
        restartCalls < 0 ? "-" : restartCalls + " (" + restartWrites + ")",
        oom);
  }

  private static String num(double v, String format) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, format, v);
  }
}
