package io.icrinjector.door;

import io.icrinjector.handler.AdmissionAnswer;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;

/**
 * Puts an {@link AdmissionAnswer} on the wire for the door: the handler's answer or a 500 on a response the
 * client still waits for, and a refusal sent before the body is read, which closes an HTTP/1 connection behind
 * it. The answers themselves are built by {@code AdmissionAnswer}; this only sends them.
 */
final class AnswerWriter {

  private AnswerWriter() {}

  /** Sends {@code answer}; false, sending nothing, when the client has gone or was already answered. */
  static boolean write(RoutingContext ctx, AdmissionAnswer answer) {
    HttpServerResponse response = ctx.response();
    if (response.closed() || response.ended()) {
      return false;
    }
    response
        .setStatusCode(answer.status())
        .putHeader(HttpHeaders.CONTENT_TYPE, answer.contentType())
        .end(Buffer.buffer(answer.body()));
    return true;
  }

  /** The handler has logged and counted the bug; the failurePolicy decides what becomes of the pod. */
  static void internalError(RoutingContext ctx) {
    write(ctx, AdmissionAnswer.internalError());
  }

  /**
   * Answers without reading the body, and closes an HTTP/1 connection afterwards: the rest of the body would
   * otherwise be read as the next request. (On HTTP/2 the stream ends alone.)
   */
  static void refuse(RoutingContext ctx, AdmissionAnswer answer) {
    HttpServerResponse response = ctx.response();
    response
        .setStatusCode(answer.status())
        .putHeader(HttpHeaders.CONTENT_TYPE, answer.contentType());
    boolean close = ctx.request().version() != HttpVersion.HTTP_2;
    if (close) {
      response.putHeader(HttpHeaders.CONNECTION, "close");
    }
    // Not response.endHandler: that would replace the routing context's own, which gives the bytes
    // back.
    response
        .end(Buffer.buffer(answer.body()))
        .onComplete(
            written -> {
              if (close) {
                ctx.request().connection().close();
              }
            });
  }
}
