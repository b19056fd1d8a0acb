package io.icrinjector.patch;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.icrinjector.engine.Decision;
import io.icrinjector.engine.ImageChange;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Turns a {@link Decision} into an RFC 6902 JSON Patch of targeted operations on the pod as submitted: one
 * {@code replace} per rewritten image and one {@code add} per attached secret (or one {@code add} that creates
 * {@code imagePullSecrets} when the pod has none, since adding to a missing list fails under RFC 6902).
 *
 * <p>Nothing else in the pod is read back or re-serialised, so unknown fields and number formats such as
 * {@code cpu: 0.5} reach the API server exactly as the client sent them.
 */
public final class PatchBuilder {

  private static final JsonFactory JSON = new JsonFactory();

  private PatchBuilder() {}

  /**
   * Writes the patch.
   *
   * @return the patch as UTF-8 JSON, or {@code null} when the decision changes nothing
   */
  public static byte[] build(Decision decision) {
    if (!decision.changesPod()) {
      return null;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(128 + 160 * decision.changes().size());
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartArray();
      for (ImageChange change : decision.changes()) {
        g.writeStartObject();
        g.writeStringField("op", "replace");
        g.writeStringField("path", change.pointer());
        g.writeStringField("value", change.to());
        g.writeEndObject();
      }
      if (!decision.secretsToAttach().isEmpty()) {
        if (decision.pullSecretListExists()) {
          for (String secret : decision.secretsToAttach()) {
            g.writeStartObject();
            g.writeStringField("op", "add");
            g.writeStringField("path", "/spec/imagePullSecrets/-");
            g.writeFieldName("value");
            writeReference(g, secret);
            g.writeEndObject();
          }
        } else {
          g.writeStartObject();
          g.writeStringField("op", "add");
          g.writeStringField("path", "/spec/imagePullSecrets");
          g.writeFieldName("value");
          g.writeStartArray();
          for (String secret : decision.secretsToAttach()) {
            writeReference(g, secret);
          }
          g.writeEndArray();
          g.writeEndObject();
        }
      }
      g.writeEndArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // cannot happen writing to memory
    }
    return out.toByteArray();
  }

  private static void writeReference(JsonGenerator g, String secret) throws IOException {
    g.writeStartObject();
    g.writeStringField("name", secret);
    g.writeEndObject();
  }
}
