package io.icrinjector.report;

import io.icrinjector.report.MigrationReport.Finding;
import io.icrinjector.report.MigrationReport.NamespaceReport;
import java.util.stream.Collectors;

/** The readable form of a {@link MigrationReport}: one block per namespace, one line per finding. */
public final class ReportFormat {

  private ReportFormat() {}

  /** Renders the report as a plain-text table. */
  public static String table(MigrationReport report) {
    StringBuilder b = new StringBuilder();
    b.append("icr-injector migration report: ")
        .append(report.findings())
        .append(report.findings() == 1 ? " image" : " images")
        .append(" still on deprecated hosts in ")
        .append(report.namespaces().stream().filter(n -> !n.findings().isEmpty()).count())
        .append(" namespace(s); pull secrets are copied from namespace ")
        .append(report.sourceNamespace())
        .append('\n');
    if (report.truncated()) {
      b.append("TRUNCATED: ")
          .append(report.omittedFindings())
          .append(" finding(s) and ")
          .append(report.omittedNamespaces())
          .append(
              " namespace(s) left out (icr.report.max-findings, " + "icr.report.max-namespaces)\n");
    }
    for (NamespaceReport ns : report.namespaces()) {
      b.append('\n')
          .append("NAMESPACE ")
          .append(ns.name())
          .append("  inject=")
          .append(ns.mode())
          .append("  pull-secrets=")
          .append(
              ns.pullSecrets().stream()
                  .map(s -> s.name() + ":" + s.state())
                  .collect(Collectors.joining(",")))
          .append('\n');
      if (ns.findings().isEmpty()) {
        b.append("  (no image on a deprecated host)\n");
        continue;
      }
      int kindWidth =
          Math.max(
              4,
              ns.findings().stream()
                  .mapToInt(f -> (f.kind() + "/" + f.name()).length())
                  .max()
                  .orElse(0));
      int containerWidth =
          Math.max(9, ns.findings().stream().mapToInt(f -> f.container().length()).max().orElse(0));
      b.append(
          String.format(
              "  %-" + kindWidth + "s  %-" + containerWidth + "s  %s%n",
              "OBJECT",
              "CONTAINER",
              "IMAGE -> REPLACEMENT"));
      for (Finding f : ns.findings()) {
        b.append(
            String.format(
                "  %-" + kindWidth + "s  %-" + containerWidth + "s  %s -> %s%n",
                f.kind() + "/" + f.name(),
                f.container(),
                f.image(),
                f.replacement() == null
                    ? "(no rewrite rule: add one to icr.rewrites)"
                    : f.replacement()));
      }
    }
    return b.toString();
  }
}
