package io.icrinjector.handler;

/**
 * What goes back over HTTP: a status, a content type and a body.
 *
 * @param status HTTP status: 200 for every AdmissionReview answer, 400 for input that cannot be read
 * @param contentType media type of {@code body}
 * @param body the bytes to send
 */
public record AdmissionAnswer(int status, String contentType, byte[] body) {

  static AdmissionAnswer review(byte[] body) {
    return new AdmissionAnswer(200, "application/json", body);
  }

  static AdmissionAnswer badRequest(String message) {
    return new AdmissionAnswer(400, "text/plain;charset=UTF-8",
        ("bad AdmissionReview: " + message + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }
}
