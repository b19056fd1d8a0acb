package io.icrinjector.handler;

import java.nio.charset.StandardCharsets;

/**
 * What goes back over HTTP: a status, a content type and a body. Every answer that is not an AdmissionReview, on
 * the webhook's port (the door's refusals, the handler's 400, the 500 of a bug) and on the management port (the
 * lock's 401/403/503, the report's 400/502), is built here, as one plain-text line; the door and the management
 * routes only send it.
 *
 * @param status HTTP status: 200 for every AdmissionReview answer, 4xx/5xx for an error answer
 * @param contentType media type of {@code body}
 * @param body the bytes to send
 */
public record AdmissionAnswer(int status, String contentType, byte[] body) {

  /** The media type of every error answer. */
  public static final String PLAIN_TEXT = "text/plain;charset=UTF-8";

  static AdmissionAnswer review(byte[] body) {
    return new AdmissionAnswer(200, "application/json", body);
  }

  /** An error answer: {@code message} as one line of plain text. */
  public static AdmissionAnswer error(int status, String message) {
    return new AdmissionAnswer(
        status, PLAIN_TEXT, (message + "\n").getBytes(StandardCharsets.UTF_8));
  }

  /** 400: input that is not an AdmissionReview the webhook can read. */
  public static AdmissionAnswer badRequest(String message) {
    return badRequest(400, message);
  }

  /** A 4xx for input the webhook will not read (400 unreadable, 413 too large), saying why. */
  public static AdmissionAnswer badRequest(int status, String message) {
    return error(status, "bad AdmissionReview: " + message);
  }

  /** 413: a body over {@code limit} bytes; {@code what} says which body ("of 123 bytes"). */
  public static AdmissionAnswer tooLarge(String what, long limit) {
    return badRequest(
        413,
        "body "
            + what
            + " is larger than the limit of "
            + limit
            + " bytes (quarkus.http.limits.max-body-size)");
  }

  /**
   * 500: a bug, logged and counted where it happened; the body says no more (the failurePolicy decides what becomes
   * of the pod).
   */
  public static AdmissionAnswer internalError() {
    return error(500, "icr-injector: internal error; the webhook's log has the cause");
  }
}
