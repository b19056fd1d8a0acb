package io.icrinjector.door;

import io.icrinjector.config.IcrConfig;
import io.icrinjector.handler.AdmissionAnswer;
import io.icrinjector.handler.AdmissionHandler;
import io.icrinjector.handler.AdmissionMetrics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.VertxException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The HTTP door: one Vert.x route per path, on the I/O thread, that hands the raw AdmissionReview body to the
 * {@link AdmissionHandler} and writes its answer back. The body stays raw bytes so that the handler can patch
 * against the JSON the API server sent.
 *
 * <p>A plain route rather than a Jakarta REST resource: the webhook takes bytes and returns bytes, and the REST
 * layer's per-request work (content negotiation, reader and writer lookup, request scope) cost more CPU than the
 * whole engine for a typical pod (see README, "Performance").
 *
 * <p>Before a byte of body is read, the door refuses what it will not read, with a plain-text reason: a body over
 * the size limit (413), and a review that would take the bytes in flight past {@code icr.max-bytes-in-flight}
 * (503 with {@code Retry-After}; see {@link InFlightBytes}). A client that goes away before its answer is a
 * DEBUG line, not an ERROR.
 */
@ApplicationScoped
public class AdmissionRoutes {

  private static final Logger LOG = Logger.getLogger(AdmissionRoutes.class);
  /** Ahead of Quarkus's own body-size check (order -2), which answers 413 with an empty body. */
  private static final int GUARD_ORDER = -10;
  /** Seconds a client refused for load should wait; the API server applies the failurePolicy meanwhile. */
  static final String RETRY_AFTER_SECONDS = "1";

  private final AdmissionHandler handler;
  private final AdmissionMetrics metrics;
  private final long maxBodyBytes;
  private final InFlightBytes inFlight;

  /**
   * CDI constructor.
   *
   * @param maxBodySize Quarkus's own body limit: a body with a larger Content-Length is refused with 413 before
   *     it is read; a chunked one is cut off at the same size, also with 413
   */
  public AdmissionRoutes(AdmissionHandler handler, AdmissionMetrics metrics, IcrConfig config, MeterRegistry registry,
      @ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize maxBodySize) {
    this.handler = handler;
    this.metrics = metrics;
    this.maxBodyBytes = maxBodySize.asLongValue();
    this.inFlight = new InFlightBytes(config.maxBytesInFlight().asLongValue());
    Gauge.builder("icr_injector_reviews_in_flight_bytes", inFlight, InFlightBytes::held)
        .description("Review bytes being read or answered now; bounded by icr.max-bytes-in-flight")
        .baseUnit("bytes").register(registry);
  }

  void register(@Observes Router router) {
    // Sized from Content-Length up front: growing the buffer by doubling held up to twice the body meanwhile.
    BodyHandler body = BodyHandler.create(false).setBodyLimit(maxBodyBytes).setPreallocateBodyBuffer(true);
    for (String path : new String[] {Paths.MUTATE, Paths.AUDIT}) {
      boolean audit = path.equals(Paths.AUDIT);
      // A route of its own, ahead of the body handler's: Vert.x runs a route's body handler before anything else.
      router.post(path).order(GUARD_ORDER).handler(ctx -> guard(ctx, path));
      router.post(path).order(GUARD_ORDER).failureHandler(ctx -> failed(ctx, path));
      // /mutate rewrites and attaches (or audits, under icr.mode=audit); /audit reports what /mutate would do.
      router.post(path).handler(body).handler(ctx -> answer(ctx, audit));
    }
  }

  /** Everything the door decides before reading the body: content type, size, and the bytes in flight. */
  private void guard(RoutingContext ctx, String path) {
    // The body is a review whatever the client calls it: the body handler would parse a form-encoded or
    // multipart body as form fields (and fail on a review-sized one), so such a content type is dropped before
    // it runs. curl --data-binary sends application/x-www-form-urlencoded unless told otherwise.
    String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    if (type != null) {
      String t = type.toLowerCase(Locale.ROOT);
      if (t.startsWith("application/x-www-form-urlencoded") || t.startsWith("multipart/")) {
        ctx.request().headers().remove(HttpHeaders.CONTENT_TYPE);
      }
    }
    String length = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
    // Without a Content-Length (a chunked body) the size is known only at the end: count the worst case.
    long size = maxBodyBytes;
    if (length != null) {
      try {
        size = Long.parseLong(length.trim());
      } catch (NumberFormatException e) {
        refuse(ctx, 400, "bad AdmissionReview: Content-Length " + length + " is not a number");
        metrics.refused(path, AdmissionMetrics.Result.BAD_REQUEST);
        return;
      }
      if (size > maxBodyBytes) {
        tooLarge(ctx, path, "of " + size + " bytes");
        return;
      }
    }
    long reserved = size;
    if (!inFlight.tryReserve(reserved)) {
      ctx.response().putHeader(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS);
      refuse(ctx, 503, "icr-injector: " + inFlight.held() + " bytes of reviews in flight; this one (" + reserved
          + " bytes) would pass icr.max-bytes-in-flight=" + inFlight.bound() + "; retry after "
          + RETRY_AFTER_SECONDS + " s");
      metrics.refused(path, AdmissionMetrics.Result.OVERLOADED);
      return;
    }
    // Called once when the exchange ends: answered, refused later on, or the connection closed.
    ctx.addEndHandler(done -> inFlight.release(reserved));
    ctx.next();
  }

  private void answer(RoutingContext ctx, boolean audit) {
    Buffer buffer = ctx.body().buffer();
    if (buffer == null) {
      handler.handle(new byte[0], 0, 0, audit).subscribe().with(a -> write(ctx, a), e -> internalError(ctx));
      return;
    }
    // The body handler's buffer is a heap array: read it in place rather than copying up to 7 MiB again.
    ByteBuf bytes = buffer.getByteBuf();
    byte[] body;
    int offset;
    if (bytes.hasArray()) {
      body = bytes.array();
      offset = bytes.arrayOffset() + bytes.readerIndex();
    } else {
      body = buffer.getBytes();
      offset = 0;
    }
    handler.handle(body, offset, bytes.readableBytes(), audit)
        .subscribe().with(a -> write(ctx, a), e -> internalError(ctx));
  }

  private static void write(RoutingContext ctx, AdmissionAnswer answer) {
    HttpServerResponse response = ctx.response();
    if (response.closed() || response.ended()) {
      LOG.debugf("client of %s went away before its answer", ctx.request().path());
      return;
    }
    response.setStatusCode(answer.status()).putHeader(HttpHeaders.CONTENT_TYPE, answer.contentType())
        .end(Buffer.buffer(answer.body()));
  }

  /** The handler has logged and counted the bug; the failurePolicy decides what becomes of the pod. */
  private static void internalError(RoutingContext ctx) {
    HttpServerResponse response = ctx.response();
    if (response.closed() || response.ended()) {
      return;
    }
    response.setStatusCode(500).putHeader(HttpHeaders.CONTENT_TYPE, "text/plain;charset=UTF-8")
        .end("icr-injector: internal error; the webhook's log has the cause\n");
  }

  /** Failures the router saw: the body handler's (413, a closed connection) and anything unexpected. */
  private void failed(RoutingContext ctx, String path) {
    Throwable failure = ctx.failure();
    HttpServerResponse response = ctx.response();
    if (failure instanceof HttpClosedException || response.closed()
        || (failure instanceof VertxException && "Connection was closed".equals(failure.getMessage()))) {
      // A client that hangs up mid-body (or a timed-out API server) is not a fault of the webhook.
      LOG.debugf("client of %s closed the connection before its answer", path);
      return;
    }
    if (response.ended()) {
      return;
    }
    if (ctx.statusCode() == 413) {
      tooLarge(ctx, path, "(sent without Content-Length)");
      return;
    }
    if (ctx.statusCode() > 0 && ctx.statusCode() < 500) {
      refuse(ctx, ctx.statusCode(), "bad AdmissionReview: HTTP " + ctx.statusCode()
          + (failure == null ? "" : ": " + failure.getMessage()));
      metrics.refused(path, AdmissionMetrics.Result.BAD_REQUEST);
      return;
    }
    LOG.error("admission request failed unexpectedly", failure);
    metrics.refused(path, AdmissionMetrics.Result.ERROR);
    internalError(ctx);
  }

  private void tooLarge(RoutingContext ctx, String path, String what) {
    refuse(ctx, 413, "bad AdmissionReview: body " + what + " is larger than the limit of " + maxBodyBytes
        + " bytes (quarkus.http.limits.max-body-size)");
    metrics.refused(path, AdmissionMetrics.Result.TOO_LARGE);
  }

  /**
   * Answers without reading the body, and closes an HTTP/1 connection afterwards: the rest of the body would
   * otherwise be read as the next request. (On HTTP/2 the stream ends alone.)
   */
  private static void refuse(RoutingContext ctx, int status, String message) {
    HttpServerResponse response = ctx.response();
    response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "text/plain;charset=UTF-8");
    boolean close = ctx.request().version() != HttpVersion.HTTP_2;
    if (close) {
      response.putHeader(HttpHeaders.CONNECTION, "close");
    }
    // Not response.endHandler: that would replace the routing context's own, which gives the bytes back.
    response.end(Buffer.buffer((message + "\n").getBytes(StandardCharsets.UTF_8))).onComplete(written -> {
      if (close) {
        ctx.request().connection().close();
      }
    });
  }
}
