package io.icrinjector.door;

import io.icrinjector.config.IcrConfig;
import io.icrinjector.handler.AdmissionAnswer;
import io.icrinjector.handler.AdmissionHandler;
import io.icrinjector.handler.AdmissionMetrics;
import io.icrinjector.handler.Endpoint;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.VertxException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Locale;
import java.util.function.BiConsumer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The HTTP door: {@code POST /mutate} and {@code POST /audit}, answered by plain Vert.x routes on the I/O thread.
 * The guard decides everything it can before a byte of body is read; the body is then read into one buffer sized
 * from Content-Length, handed to the {@link AdmissionHandler} in place (no DTO is bound, so the handler patches
 * against the JSON the API server sent), and the handler's answer bytes are written back ({@link AnswerWriter}),
 * at once or, when a secret copy is waited for, when the handler calls back: nothing here blocks.
 *
 * <p>Routes rather than a Jakarta REST resource: the door has no entity to bind and nothing to negotiate, and
 * Quarkus REST's request scope, context propagation over each Mutiny stage, response building and writer lookup
 * cost about as much CPU per review as reading and deciding it (docs/performance.md, "Levers"). A REST filter
 * would also run too late to refuse a body unread, and Quarkus REST reads a body of more than
 * {@code quarkus.rest.input-buffer-size} (10 KiB) on a worker thread, copying it twice.
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

  /** The first buffer for a body sent without Content-Length; it grows by doubling from there. */
  private static final int CHUNKED_START = 16 * 1024;

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
  public AdmissionRoutes(
      AdmissionHandler handler,
      AdmissionMetrics metrics,
      IcrConfig config,
      MeterRegistry registry,
      @ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize maxBodySize) {
    this.handler = handler;
    this.metrics = metrics;
    this.maxBodyBytes = maxBodySize.asLongValue();
    this.inFlight = new InFlightBytes(config.maxBytesInFlight().asLongValue());
    Gauge.builder("icr_injector_reviews_in_flight_bytes", inFlight, InFlightBytes::held)
        .description("Review bytes being read or answered now; bounded by icr.max-bytes-in-flight")
        .baseUnit("bytes")
        .register(registry);
  }

  void register(@Observes Router router) {
    for (Endpoint endpoint : Endpoint.values()) {
      router.post(endpoint.path()).order(GUARD_ORDER).handler(ctx -> guard(ctx, endpoint));
      router.post(endpoint.path()).order(GUARD_ORDER).failureHandler(ctx -> failed(ctx, endpoint));
    }
  }

  /** Everything the door decides before reading the body: content type, size, and the bytes in flight. */
  private void guard(RoutingContext ctx, Endpoint path) {
    // The body is a review whatever the client calls it: the body handler would parse a
    // form-encoded or
    // multipart body as form fields (and fail on a review-sized one), so such a content type is
    // dropped before
    // it runs. curl --data-binary sends application/x-www-form-urlencoded unless told otherwise.
    String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    if (type != null) {
      String t = type.toLowerCase(Locale.ROOT);
      if (t.startsWith("application/x-www-form-urlencoded") || t.startsWith("multipart/")) {
        ctx.request().headers().remove(HttpHeaders.CONTENT_TYPE);
      }
    }
    String length = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
    // Without a Content-Length (a chunked body) the size is known only at the end: count the worst
    // case.
    long size = maxBodyBytes;
    if (length != null) {
      try {
        size = Long.parseLong(length.trim());
      } catch (NumberFormatException e) {
        AnswerWriter.refuse(
            ctx, AdmissionAnswer.badRequest("Content-Length " + length + " is not a number"));
        metrics.refused(path, AdmissionMetrics.Result.BAD_REQUEST);
        return;
      }
      if (size > maxBodyBytes) {
        AnswerWriter.refuse(ctx, AdmissionAnswer.tooLarge("of " + size + " bytes", maxBodyBytes));
        metrics.refused(path, AdmissionMetrics.Result.TOO_LARGE);
        return;
      }
    }
    long reserved = size;
    if (!inFlight.tryReserve(reserved)) {
      ctx.response().putHeader(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS);
      AnswerWriter.refuse(
          ctx,
          AdmissionAnswer.error(
              503,
              "icr-injector: "
                  + inFlight.held()
                  + " bytes of reviews in flight; this one ("
                  + reserved
                  + " bytes) would pass icr.max-bytes-in-flight="
                  + inFlight.bound()
                  + "; retry after "
                  + RETRY_AFTER_SECONDS
                  + " s"));
      metrics.refused(path, AdmissionMetrics.Result.OVERLOADED);
      return;
    }
    // Called once when the exchange ends: answered, refused later on, or the connection closed.
    ctx.addEndHandler(done -> inFlight.release(reserved));
    read(ctx, path, length == null ? -1L : size);
  }

  /**
   * Reads the body of a review the guard let in, on the I/O thread, into one buffer sized from Content-Length
   * (growing a buffer by doubling held up to twice the body meanwhile), then hands it to the handler in place and
   * writes its answer. A body sent without Content-Length that passes the limit is refused with 413; a client that
   * hangs up is a DEBUG line.
   */
  private void read(RoutingContext ctx, Endpoint path, long length) {
    HttpServerRequest request = ctx.request();
    if (request.isEnded()) {
      answer(ctx, path, Buffer.buffer(0));
      return;
    }
    Buffer body = Buffer.buffer(length >= 0 ? (int) length : CHUNKED_START);
    boolean[] refused = {false};
    request.handler(
        chunk -> {
          if (refused[0]) {
            return;
          }
          if (body.length() + (long) chunk.length() > maxBodyBytes) {
            refused[0] = true;
            tooLarge(ctx, path, "(sent without Content-Length)");
          } else {
            body.appendBuffer(chunk);
          }
        });
    request.exceptionHandler(
        failure -> {
          refused[0] = true;
          if (failure instanceof HttpClosedException || ctx.response().closed()) {
            // A client that hangs up mid-body (or a timed-out API server) is not a fault of the
            // webhook.
            LOG.debugf("client of %s closed the connection before its answer", path.path());
          } else {
            LOG.debugf(failure, "reading a review for %s failed", path.path());
            AnswerWriter.internalError(ctx);
          }
        });
    request.endHandler(
        end -> {
          if (!refused[0]) {
            answer(ctx, path, body);
          }
        });
    request.resume();
  }

  /** Hands the body to the handler, read in place rather than copying up to 7 MiB again, and writes its answer. */
  private void answer(RoutingContext ctx, Endpoint path, Buffer body) {
    ByteBuf bytes = body.getByteBuf();
    // A bug (logged and counted by the handler) is a 500: the failurePolicy decides what becomes of
    // the pod.
    BiConsumer<AdmissionAnswer, Throwable> done =
        (a, failure) -> {
          if (failure != null) {
            AnswerWriter.internalError(ctx);
          } else {
            write(ctx, path, a);
          }
        };
    if (bytes.hasArray()) {
      handler.handle(
          bytes.array(),
          bytes.arrayOffset() + bytes.readerIndex(),
          bytes.readableBytes(),
          path,
          done);
    } else {
      byte[] copy = body.getBytes();
      handler.handle(copy, 0, copy.length, path, done);
    }
  }

  private static void write(RoutingContext ctx, Endpoint path, AdmissionAnswer answer) {
    if (!AnswerWriter.write(ctx, answer)) {
      LOG.debugf("client of %s went away before its answer", path.path());
    }
  }

  /** Failures the router saw: a closed connection, anything unexpected. */
  private void failed(RoutingContext ctx, Endpoint path) {
    Throwable failure = ctx.failure();
    HttpServerResponse response = ctx.response();
    if (failure instanceof HttpClosedException
        || response.closed()
        || (failure instanceof VertxException
            && "Connection was closed".equals(failure.getMessage()))) {
      // A client that hangs up mid-body (or a timed-out API server) is not a fault of the webhook.
      LOG.debugf("client of %s closed the connection before its answer", path.path());
      return;
    }
    if (response.ended()) {
      return;
    }
    if (ctx.statusCode() > 0 && ctx.statusCode() < 500) {
      AnswerWriter.refuse(
          ctx,
          AdmissionAnswer.badRequest(
              ctx.statusCode(),
              "HTTP " + ctx.statusCode() + (failure == null ? "" : ": " + failure.getMessage())));
      metrics.refused(path, AdmissionMetrics.Result.BAD_REQUEST);
      return;
    }
    LOG.error("admission request failed unexpectedly", failure);
    metrics.refused(path, AdmissionMetrics.Result.ERROR);
    AnswerWriter.internalError(ctx);
  }

  private void tooLarge(RoutingContext ctx, Endpoint path, String what) {
    AnswerWriter.refuse(ctx, AdmissionAnswer.tooLarge(what, maxBodyBytes));
    metrics.refused(path, AdmissionMetrics.Result.TOO_LARGE);
  }
}
