package io.icrinjector.handler;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * Writes an admission.k8s.io/v1 AdmissionReview answer straight to bytes. {@code allowed} is always true: this
 * webhook never denies a pod.
 */
final class ReviewWriter {

  /** The API server shows each warning to the client; it truncates past this many characters. */
  static final int MAX_WARNING_LENGTH = 120;

  private static final String WARNING_PREFIX = "icr-injector: ";
  private static final JsonFactory JSON = new JsonFactory();

  private ReviewWriter() {}

  static byte[] write(
      String uid, byte[] patch, List<String> warnings, Map<String, String> auditAnnotations) {
    ByteArrayOutputStream out =
        new ByteArrayOutputStream(256 + (patch == null ? 0 : patch.length * 4 / 3 + 4));
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("apiVersion", "admission.k8s.io/v1");
      g.writeStringField("kind", "AdmissionReview");
      g.writeObjectFieldStart("response");
      g.writeStringField("uid", uid);
      g.writeBooleanField("allowed", true);
      if (patch != null) {
        g.writeStringField("patchType", "JSONPatch");
        g.writeFieldName("patch");
        g.writeBinary(
            patch); // Jackson writes byte[] as standard base64, which is what the API server
        // decodes
      }
      if (!warnings.isEmpty()) {
        g.writeArrayFieldStart("warnings");
        for (String w : warnings) {
          g.writeString(warning(w));
        }
        g.writeEndArray();
      }
      if (!auditAnnotations.isEmpty()) {
        g.writeObjectFieldStart("auditAnnotations");
        for (Map.Entry<String, String> e : auditAnnotations.entrySet()) {
          g.writeStringField(e.getKey(), e.getValue());
        }
        g.writeEndObject();
      }
      g.writeEndObject();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // cannot happen writing to memory
    }
    return out.toByteArray();
  }

  /** Prefixes the warning with the webhook's name and keeps it within {@link #MAX_WARNING_LENGTH}. */
  static String warning(String text) {
    String w = WARNING_PREFIX + text;
    return w.length() <= MAX_WARNING_LENGTH ? w : w.substring(0, MAX_WARNING_LENGTH - 3) + "...";
  }
}
