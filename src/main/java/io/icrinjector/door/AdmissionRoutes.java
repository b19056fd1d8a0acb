package io.icrinjector.door;

import io.icrinjector.config.IcrConfig;
import io.icrinjector.handler.AdmissionAnswer;
import io.icrinjector.handler.AdmissionMetrics;
import io.icrinjector.handler.Endpoint;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.mutiny.Uni;
import io.vertx.core.VertxException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Locale;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.RestResponse;

/**
 * The Vert.x routes ahead of the {@link AdmissionResource}: everything the door decides before a byte of body is
 * read, and the reading itself. Plain routes rather than REST filters because a Jakarta REST filter runs only
 * once the request is matched to a method, too late to refuse a body unread (and Quarkus's own size check ahead
 * of it answers 413 with an empty body), and because Quarkus REST reads a body of more than
 * {@code quarkus.rest.input-buffer-size} (10 KiB) on a worker thread: here Vert.x's body handler reads it into
 * one buffer sized from Content-Length, and the resource reads that buffer in place on the I/O thread.
 *
 * <p>Refused with a plain-text reason, the connection closed afterwards: a body over the size limit (413), a bad
 * Content-Length (400), and a review that would take the bytes in flight past {@code icr.max-bytes-in-flight}
 * (503 with {@code Retry-After}; see {@link InFlightBytes}). A form or multipart content type is dropped, so the
 * body is read as the review it is. A client that goes away before its answer is a DEBUG line, not an ERROR.
 */
@ApplicationScoped
public class AdmissionRoutes {

  private static final Logger LOG = Logger.getLogger(AdmissionRoutes.class);
  /** Ahead of Quarkus's own body-size check (order -2), which answers 413 with an empty body. */
  private static final int GUARD_ORDER = -10;
  /** Where the guard leaves the size it reserved for the body reader: Content-Length, or the limit. */
  private static final String LENGTH_KEY = "icr.content-length";
  /** The first buffer for a body sent without Content-Length; it grows by doubling from there. */
  private static final int CHUNKED_START = 16 * 1024;
  /** Seconds a client refused for load should wait; the API server applies the failurePolicy meanwhile. */
  static final String RETRY_AFTER_SECONDS = "1";

  private final AdmissionMetrics metrics;
  private final long maxBodyBytes;
  private final InFlightBytes inFlight;

  /**
   * CDI constructor.
   *
   * @param maxBodySize Quarkus's own body limit: a body with a larger Content-Length is refused with 413 before
   *     it is read; a chunked one is cut off at the same size, also with 413
   */
  public AdmissionRoutes(AdmissionMetrics metrics, IcrConfig config, MeterRegistry registry,
      @ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize maxBodySize) {
    this.metrics = metrics;
    this.maxBodyBytes = maxBodySize.asLongValue();
    this.inFlight = new InFlightBytes(config.maxBytesInFlight().asLongValue());
    Gauge.builder("icr_injector_reviews_in_flight_bytes", inFlight, InFlightBytes::held)
        .description("Review bytes being read or answered now; bounded by icr.max-bytes-in-flight")
        .baseUnit("bytes").register(registry);
  }

  void register(@Observes Router router) {
    for (Endpoint endpoint : Endpoint.values()) {
      router.post(endpoint.path()).order(GUARD_ORDER).handler(ctx -> guard(ctx, endpoint));
      router.post(endpoint.path()).order(GUARD_ORDER).failureHandler(ctx -> failed(ctx, endpoint));
    }
  }

  /** Everything the door decides before reading the body: content type, size, and the bytes in flight. */
  private void guard(RoutingContext ctx, Endpoint path) {
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
        refuse(ctx, AdmissionAnswer.badRequest("Content-Length " + length + " is not a number"));
        metrics.refused(path, AdmissionMetrics.Result.BAD_REQUEST);
        return;
      }
      if (size > maxBodyBytes) {
        refuse(ctx, AdmissionAnswer.tooLarge("of " + size + " bytes", maxBodyBytes));
        metrics.refused(path, AdmissionMetrics.Result.TOO_LARGE);
        return;
      }
    }
    long reserved = size;
    if (!inFlight.tryReserve(reserved)) {
      ctx.response().putHeader(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS);
      refuse(ctx, AdmissionAnswer.error(503, "icr-injector: " + inFlight.held() + " bytes of reviews in flight; this one ("
          + reserved + " bytes) would pass icr.max-bytes-in-flight=" + inFlight.bound() + "; retry after "
          + RETRY_AFTER_SECONDS + " s"));
      metrics.refused(path, AdmissionMetrics.Result.OVERLOADED);
      return;
    }
    // Called once when the exchange ends: answered, refused later on, or the connection closed.
    ctx.addEndHandler(done -> inFlight.release(reserved));
    ctx.put(LENGTH_KEY, length == null ? -1L : size);
    ctx.next();
  }

  /**
   * Reads the body of a review the guard let in, on the I/O thread, into one buffer sized from Content-Length
   * (growing a buffer by doubling held up to twice the body meanwhile). By hand rather than with Vert.x's
   * BodyHandler: a body read before Quarkus REST takes the request fails it on HTTP/2 ("Request has already
   * been read"), and Quarkus REST's own reading goes to a worker thread past 10 KiB and copies the body twice.
   *
   * @return the body; a {@link BodyTooLarge} failure for a body without Content-Length that passes the limit
   *     (answer with {@link #tooLargeAnswer}), an {@link HttpClosedException} when the client hangs up (logged
   *     here at DEBUG)
   */
  Uni<Buffer> body(RoutingContext ctx, Endpoint path) {
    HttpServerRequest request = ctx.request();
    if (request.isEnded()) {
      return Uni.createFrom().item(Buffer.buffer(0));
    }
    long length = ctx.get(LENGTH_KEY, -1L);
    Buffer body = Buffer.buffer(length >= 0 ? (int) length : CHUNKED_START);
    return Uni.createFrom().emitter(emitter -> {
      request.handler(chunk -> {
        if (body.length() + (long) chunk.length() > maxBodyBytes) {
          emitter.fail(new BodyTooLarge());
        } else {
          body.appendBuffer(chunk);
        }
      });
      request.exceptionHandler(failure -> {
        if (failure instanceof HttpClosedException || ctx.response().closed()) {
          // A client that hangs up mid-body (or a timed-out API server) is not a fault of the webhook.
          LOG.debugf("client of %s closed the connection before its answer", path.path());
        } else {
          LOG.debugf(failure, "reading a review for %s failed", path.path());
        }
        emitter.fail(failure);
      });
      request.endHandler(end -> emitter.complete(body));
      request.resume();
    });
  }

  /** The 413 for a body that passed the limit without a Content-Length; the connection closes after it. */
  RestResponse<byte[]> tooLargeAnswer(RoutingContext ctx, Endpoint path) {
    metrics.refused(path, AdmissionMetrics.Result.TOO_LARGE);
    RestResponse.ResponseBuilder<byte[]> answer = AdmissionResource.rest(
        AdmissionAnswer.tooLarge("(sent without Content-Length)", maxBodyBytes));
    if (ctx.request().version() != HttpVersion.HTTP_2) {
      // The rest of the body would otherwise be read as the next request.
      answer.header(HttpHeaders.CONNECTION.toString(), "close");
      ctx.addEndHandler(done -> ctx.request().connection().close());
    }
    return answer.build();
  }

  /** A body without Content-Length that passed the size limit. */
  static final class BodyTooLarge extends RuntimeException {
    BodyTooLarge() {
      super("body larger than the limit", null, false, false);
    }
  }

  /** The handler has logged and counted the bug; the failurePolicy decides what becomes of the pod. */
  private static void internalError(RoutingContext ctx) {
    HttpServerResponse response = ctx.response();
    if (response.closed() || response.ended()) {
      return;
    }
    AdmissionAnswer answer = AdmissionAnswer.internalError();
    response.setStatusCode(answer.status()).putHeader(HttpHeaders.CONTENT_TYPE, answer.contentType())
        .end(Buffer.buffer(answer.body()));
  }

  /** Failures the router saw before the resource: a closed connection, anything unexpected. */
  private void failed(RoutingContext ctx, Endpoint path) {
    Throwable failure = ctx.failure();
    HttpServerResponse response = ctx.response();
    if (failure instanceof HttpClosedException || response.closed()
        || (failure instanceof VertxException && "Connection was closed".equals(failure.getMessage()))) {
      // A client that hangs up mid-body (or a timed-out API server) is not a fault of the webhook.
      LOG.debugf("client of %s closed the connection before its answer", path.path());
      return;
    }
    if (response.ended()) {
      return;
    }
    if (ctx.statusCode() > 0 && ctx.statusCode() < 500) {
      refuse(ctx, AdmissionAnswer.badRequest(ctx.statusCode(), "HTTP " + ctx.statusCode()
          + (failure == null ? "" : ": " + failure.getMessage())));
      metrics.refused(path, AdmissionMetrics.Result.BAD_REQUEST);
      return;
    }
    LOG.error("admission request failed unexpectedly", failure);
    metrics.refused(path, AdmissionMetrics.Result.ERROR);
    internalError(ctx);
  }

  /**
   * Answers without reading the body, and closes an HTTP/1 connection afterwards: the rest of the body would
   * otherwise be read as the next request. (On HTTP/2 the stream ends alone.)
   */
  private static void refuse(RoutingContext ctx, AdmissionAnswer answer) {
    HttpServerResponse response = ctx.response();
    response.setStatusCode(answer.status()).putHeader(HttpHeaders.CONTENT_TYPE, answer.contentType());
    boolean close = ctx.request().version() != HttpVersion.HTTP_2;
    if (close) {
      response.putHeader(HttpHeaders.CONNECTION, "close");
    }
    // Not response.endHandler: that would replace the routing context's own, which gives the bytes back.
    response.end(Buffer.buffer(answer.body())).onComplete(written -> {
      if (close) {
        ctx.request().connection().close();
      }
    });
  }
}
