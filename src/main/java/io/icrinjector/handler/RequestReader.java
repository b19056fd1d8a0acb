package io.icrinjector.handler;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.icrinjector.engine.MalformedReviewException;
import io.icrinjector.engine.ReviewReader;
import java.io.IOException;

/**
 * Reads a request body into the {@code request} of its AdmissionReview, refusing with a
 * {@link MalformedReviewException} (HTTP 400) what is not a readable {@code admission.k8s.io/v1} AdmissionReview
 * with a request, a uid and, when it has one, a valid namespace name. What is checked here is the envelope; the
 * pod inside is the {@link io.icrinjector.engine.MutationEngine}'s to judge.
 */
final class RequestReader {

  private final ReviewReader reader;

  RequestReader(ReviewReader reader) {
    this.reader = reader;
  }

  /** The request of the review held in {@code length} bytes of {@code buffer} from {@code offset}. */
  JsonNode read(byte[] buffer, int offset, int length) {
    JsonNode review;
    try {
      review = reader.read(buffer, offset, length);
    } catch (JsonProcessingException e) {
      throw new MalformedReviewException("body is not JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new MalformedReviewException("body cannot be read: " + e.getMessage());
    }
    if (review == null || !review.isObject()) {
      throw new MalformedReviewException("body is not a JSON object");
    }
    JsonNode apiVersion = review.get("apiVersion");
    if (apiVersion != null && !"admission.k8s.io/v1".equals(apiVersion.asText())) {
      throw new MalformedReviewException(
          "apiVersion is " + apiVersion + ", expected \"admission.k8s.io/v1\"");
    }
    JsonNode kind = review.get("kind");
    if (kind != null && !"AdmissionReview".equals(kind.asText())) {
      throw new MalformedReviewException("kind is " + kind + ", expected \"AdmissionReview\"");
    }
    JsonNode request = review.get("request");
    if (request == null || !request.isObject()) {
      throw new MalformedReviewException("request is missing or not an object");
    }
    JsonNode uid = request.get("uid");
    if (uid == null || !uid.isTextual() || uid.asText().isEmpty()) {
      throw new MalformedReviewException("request.uid is missing or not a string");
    }
    // Before anything uses it: the namespace names API paths and copy jobs, and an invalid one
    // would be retried
    // forever. Empty or absent is a cluster-scoped object (skipped later).
    JsonNode namespace = request.get("namespace");
    if (namespace != null && !namespace.isNull()) {
      if (!namespace.isTextual()) {
        throw new MalformedReviewException("request.namespace is not a string");
      }
      String problem = NamespaceNames.problem(namespace.asText());
      if (problem != null) {
        throw new MalformedReviewException("request.namespace " + problem);
      }
    }
    return request;
  }
}
