package io.icrinjector;

import io.icrinjector.report.ReportCommand;
import io.icrinjector.secrets.CleanupCommand;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;
import io.quarkus.runtime.annotations.QuarkusMain;
import java.util.logging.Handler;
import java.util.logging.Logger;

/**
 * Starts the webhook, or with {@code report [--json]} prints the migration report and exits, or with
 * {@code cleanup [--dry-run]} / {@code unregister} deletes the copies / the webhook registration ({@link CleanupCommand})
 * and exits, or with {@code cds-training} runs the training of the image's AOT cache ({@link CdsTraining}) and exits.
 *
 * <p>The report run binds no fixed port (it may run beside a webhook on the same machine), starts no secret
 * copying, and logs to stderr so that stdout holds the report alone; so do cleanup and unregister, which also start
 * no background report.
 */
@QuarkusMain
public final class Main {

  Main() {}

  /** Entry point of {@code java -jar quarkus-run.jar [report [--json] | cleanup [--dry-run] | unregister | cds-training]}. */
  public static void main(String... args) {
    boolean cleanup =
        args.length > 0 && (args[0].equals("cleanup") || args[0].equals("unregister"));
    if (args.length > 0 && args[0].equals("report") || cleanup) {
      System.setProperty("quarkus.http.port", "0");
      System.setProperty("quarkus.http.ssl-port", "0");
      System.setProperty("quarkus.management.port", "0");
      System.setProperty("icr.secret-copy.enabled", "false");
      System.setProperty("quarkus.log.console.stderr", "true");
      // One try per call: a person is waiting, and an unreachable cluster should say so at once.
      System.setProperty("kubernetes.request.retry.backoffLimit", "0"); // fabric8's own setting
      System.setProperty("quarkus.log.level", System.getProperty("quarkus.log.level", "WARN"));
      if (cleanup) {
        System.setProperty(
            "icr.report.refresh-interval", "0"); // the burn-down gauge's cluster-wide lists
      }
      Quarkus.run(cleanup ? CleanupCommand.class : ReportCommand.class, args);
    } else if (args.length > 0 && args[0].equals("cds-training")) {
      CdsTraining.configure();
      Quarkus.run(CdsTraining.class, Main::exit, args);
    } else {
      Quarkus.run(Webhook.class, Main::exit, args);
    }
  }

  /** The webhook: serves until it is told to stop. */
  public static final class Webhook implements QuarkusApplication {
    @Override
    public int run(String... args) {
      // Here, not before Quarkus.run: the HTTP server already listens, so this costs the first
      // answer nothing.
      AotCache.log();
      Quarkus.waitForExit();
      return 0;
    }
  }

  /**
   * Ends the process once Quarkus has stopped. Console logging is asynchronous (application.properties), and the
   * process exits before the log thread writes what is queued: a start-up failure ("cannot read the key/certificate
   * files") left a pod in CrashLoopBackOff with an empty log. So a failure is written here, straight to stderr,
   * with its chain of causes; the handlers are flushed for whatever else they can still write.
   */
  static void exit(int code, Throwable failure) {
    if (failure != null) {
      StringBuilder b = new StringBuilder("icr-injector failed to start: ");
      java.util.Set<Throwable> seen =
          java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
      for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
        b.append(t == failure ? "" : "\n  caused by: ")
            .append(t.getClass().getName())
            .append(": ")
            .append(t.getMessage());
      }
      System.err.println(b);
    }
    for (Handler h : Logger.getLogger("").getHandlers()) {
      h.flush();
    }
    System.err.flush();
    System.exit(code);
  }
}
