package io.icrinjector.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.icrinjector.kube.KubeErrors;
import io.quarkus.runtime.QuarkusApplication;
import jakarta.inject.Inject;
import java.util.List;

/** {@code java -jar quarkus-run.jar report [--json]}: the migration report on stdout, exit code 0 on success. */
public class ReportCommand implements QuarkusApplication {

  @Inject ReportBuilder builder;

  @Inject ObjectMapper mapper;

  @Override
  public int run(String... args) throws Exception {
    List<String> options = List.of(args).subList(1, args.length);
    for (String option : options) {
      if (!option.equals("--json")) {
        System.err.println(
            "unknown option " + option + "\nusage: java -jar quarkus-run.jar report [--json]");
        return 2;
      }
    }
    MigrationReport report;
    try {
      report = builder.build();
    } catch (RuntimeException e) {
      System.err.println(
          "cannot read the cluster: "
              + KubeErrors.describe(e)
              + "\n(the report uses the current kubeconfig context, or the in-cluster service account)");
      return 1;
    }
    System.out.print(
        options.contains("--json")
            ? mapper.writerWithDefaultPrettyPrinter().writeValueAsString(report) + "\n"
            : ReportFormat.table(report));
    return 0;
  }
}
