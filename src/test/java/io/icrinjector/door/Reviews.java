package io.icrinjector.door;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonStructure;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Test helpers over AdmissionReview JSON, with JSON-P (parsson) as an independent, strict RFC 6902 engine. */
public final class Reviews {

  private Reviews() {}

  /** The text of a fixture under {@code src/test/resources/reviews/}. */
  public static String fixture(String name) {
    try (InputStream in = Reviews.class.getResourceAsStream("/reviews/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no fixture " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Parses JSON text with JSON-P. */
  public static JsonObject parse(String json) {
    try (JsonReader r = Json.createReader(new StringReader(json))) {
      return r.readObject();
    }
  }

  /** The {@code response} of an AdmissionReview answer. */
  public static JsonObject response(String answer) {
    return parse(answer).getJsonObject("response");
  }

  /** The decoded JSON Patch of an answer, or {@code null} when it carries none. */
  public static JsonArray patch(JsonObject response) {
    if (!response.containsKey("patch")) {
      return null;
    }
    String json =
        new String(Base64.getDecoder().decode(response.getString("patch")), StandardCharsets.UTF_8);
    try (JsonReader r = Json.createReader(new StringReader(json))) {
      return r.readArray();
    }
  }

  /** Applies a patch to the review's {@code request.object} under strict RFC 6902 and returns the result. */
  public static JsonObject apply(JsonArray patch, JsonObject object) {
    JsonStructure result = Json.createPatch(patch).apply(object);
    return result.asJsonObject();
  }

  /** The review with {@code request.object} replaced (to feed a patched pod back in). */
  public static String withObject(String review, JsonValue object) {
    JsonObject r = parse(review);
    JsonObject request =
        Json.createObjectBuilder(r.getJsonObject("request")).add("object", object).build();
    return Json.createObjectBuilder(r).add("request", request).build().toString();
  }
}
