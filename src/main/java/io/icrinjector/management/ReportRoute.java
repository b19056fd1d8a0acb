package io.icrinjector.management;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icrinjector.handler.AdmissionAnswer;
import io.icrinjector.kube.KubeErrors;
import io.icrinjector.report.MigrationReport;
import io.icrinjector.report.ReportBuilder;
import io.icrinjector.report.ReportFormat;
import io.quarkus.vertx.http.ManagementInterface;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/**
 * {@code GET /report} on the management interface: the migration report as JSON, or as a table with
 * {@code ?format=table}. It lists the cluster, so it runs on a worker thread, never on the webhook's path.
 */
@ApplicationScoped
public class ReportRoute {

  private static final Logger LOG = Logger.getLogger(ReportRoute.class);

  void register(
      @Observes ManagementInterface management, ReportBuilder builder, ObjectMapper mapper) {
    management
        .router()
        .get("/report")
        .blockingHandler(
            ctx -> {
              String format = ctx.request().getParam("format", "json");
              if (!format.equals("json") && !format.equals("table")) {
                ManagementLock.send(
                    ctx,
                    AdmissionAnswer.error(
                        400, "unknown format \"" + format + "\": use json or table"));
                return;
              }
              MigrationReport report;
              try {
                report = builder.build();
              } catch (RuntimeException e) {
                LOG.warnf("migration report failed: %s", KubeErrors.describe(e));
                ManagementLock.send(
                    ctx,
                    AdmissionAnswer.error(
                        502, "cannot read the cluster: " + KubeErrors.describe(e)));
                return;
              }
              if (format.equals("table")) {
                ctx.response()
                    .putHeader("Content-Type", AdmissionAnswer.PLAIN_TEXT)
                    .end(ReportFormat.table(report));
              } else {
                try {
                  ctx.response()
                      .putHeader("Content-Type", "application/json")
                      .end(mapper.writeValueAsString(report));
                } catch (JsonProcessingException e) {
                  ctx.fail(e);
                }
              }
            },
            false);
  }
}
