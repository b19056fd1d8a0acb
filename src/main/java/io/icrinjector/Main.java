package io.icrinjector;

import io.icrinjector.report.ReportCommand;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * Starts the webhook, or with {@code report [--json]} prints the migration report and exits.
 *
 * <p>The report run binds no fixed port (it may run beside a webhook on the same machine), starts no secret
 * copying, and logs to stderr so that stdout holds the report alone.
 */
@QuarkusMain
public final class Main {

  Main() {}

  /** Entry point of {@code java -jar quarkus-run.jar [report [--json]]}. */
  public static void main(String... args) {
    if (args.length > 0 && args[0].equals("report")) {
      System.setProperty("quarkus.http.port", "0");
      System.setProperty("quarkus.http.ssl-port", "0");
      System.setProperty("quarkus.management.port", "0");
      System.setProperty("icr.secret-copy.enabled", "false");
      System.setProperty("quarkus.log.console.stderr", "true");
      // One try per call: a person is waiting, and an unreachable cluster should say so at once.
      System.setProperty("kubernetes.request.retry.backoffLimit", "0"); // fabric8's own setting
      System.setProperty("quarkus.log.level", System.getProperty("quarkus.log.level", "WARN"));
      Quarkus.run(ReportCommand.class, args);
    } else {
      Quarkus.run(args);
    }
  }
}
