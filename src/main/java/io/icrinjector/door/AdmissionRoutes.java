package io.icrinjector.door;

import io.icrinjector.handler.AdmissionAnswer;
import io.icrinjector.handler.AdmissionHandler;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The HTTP door: one Vert.x route per path, on the I/O thread, that hands the raw AdmissionReview body to the
 * {@link AdmissionHandler} and writes its answer back. The body stays raw bytes so that the handler can patch
 * against the JSON the API server sent.
 *
 * <p>A plain route rather than a Jakarta REST resource: the webhook takes bytes and returns bytes, and the REST
 * layer's per-request work (content negotiation, reader and writer lookup, request scope) cost more CPU than the
 * whole engine for a typical pod (see README, "Performance").
 */
@ApplicationScoped
public class AdmissionRoutes {

  private final AdmissionHandler handler;
  private final long maxBodyBytes;

  /**
   * CDI constructor.
   *
   * @param maxBodySize Quarkus's own body limit: a body with a larger Content-Length is refused with 413 before
   *     any route runs; a chunked one is cut off at the same size here, also with 413
   */
  public AdmissionRoutes(AdmissionHandler handler,
      @ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize maxBodySize) {
    this.handler = handler;
    this.maxBodyBytes = maxBodySize.asLongValue();
  }

  void register(@Observes Router router) {
    BodyHandler body = BodyHandler.create(false).setBodyLimit(maxBodyBytes);
    // A route of its own, ahead of the body handler's: Vert.x runs a route's body handler before anything else.
    router.post(Paths.MUTATE).handler(AdmissionRoutes::rawBody);
    router.post(Paths.AUDIT).handler(AdmissionRoutes::rawBody);
    // Rewrites and attaches (or audits, under icr.mode=audit).
    router.post(Paths.MUTATE).handler(body).handler(ctx -> answer(ctx, false));
    // Reports what /mutate would do, changing nothing.
    router.post(Paths.AUDIT).handler(body).handler(ctx -> answer(ctx, true));
  }

  /**
   * The body is a review whatever the client calls it: the body handler would parse a form-encoded or multipart
   * body as form fields (and fail on a review-sized one), so such a content type is dropped before it runs.
   * {@code curl --data-binary} sends {@code application/x-www-form-urlencoded} unless told otherwise.
   */
  private static void rawBody(RoutingContext ctx) {
    String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    if (type != null) {
      String t = type.toLowerCase(java.util.Locale.ROOT);
      if (t.startsWith("application/x-www-form-urlencoded") || t.startsWith("multipart/")) {
        ctx.request().headers().remove(HttpHeaders.CONTENT_TYPE);
      }
    }
    ctx.next();
  }

  private void answer(RoutingContext ctx, boolean audit) {
    Buffer buffer = ctx.body().buffer();
    byte[] body = buffer == null ? new byte[0] : buffer.getBytes();
    handler.handle(body, audit).subscribe().with(answer -> write(ctx, answer), ctx::fail);
  }

  private static void write(RoutingContext ctx, AdmissionAnswer answer) {
    ctx.response().setStatusCode(answer.status()).putHeader(HttpHeaders.CONTENT_TYPE, answer.contentType())
        .end(Buffer.buffer(answer.body()));
  }
}
