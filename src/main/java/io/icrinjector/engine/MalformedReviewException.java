package io.icrinjector.engine;

/** The AdmissionReview cannot be read; the message names the field and what is wrong with it (HTTP 400). */
public class MalformedReviewException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** @param message what is wrong, naming the field */
  public MalformedReviewException(String message) {
    super(message);
  }
}
