package io.icrinjector.door;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;

import io.icrinjector.handler.Endpoint;
import io.icrinjector.management.Management;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import jakarta.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * What the door does with callers that do not play by the rules: bodies over the limit, more bytes at once than
 * the bound, trailing data, clients that hang up. Raw sockets where an HTTP client would hide what the server
 * sent (it stops reading at a broken pipe, or finishes a body the test means to hold).
 */
@QuarkusTest
@TestProfile(HostileProfile.class)
class HostileRequestsTest {

  private static final String REVIEW = Reviews.fixture("create-us-south.json");

  @Test
  void aBodyOverTheLimitIs413SayingWhy() throws Exception {
    try (Socket socket = open()) {
      OutputStream out = socket.getOutputStream();
      out.write(headers(8 * 1024 * 1024));
      out.flush();
      String answer = readAnswer(socket);
      assertThat(answer)
          .startsWith("HTTP/1.1 413")
          .contains("larger than the limit of 7340032 bytes");
    }
  }

  @Test
  void aChunkedBodyOverTheLimitIs413SayingWhy() throws Exception {
    try (Socket socket = open()) {
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST "
                  + Endpoint.MUTATE.path()
                  + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                  + "Transfer-Encoding: chunked\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      byte[] chunk = new byte[64 * 1024];
      Arrays.fill(chunk, (byte) ' ');
      try {
        for (int i = 0; i < 8 * 16 + 1; i++) { // 8 MiB and a bit
          out.write(
              (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
          out.write(chunk);
          out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.flush();
      } catch (IOException e) {
        // the server answered and closed while the body was still going out; its answer is still
        // there to read
      }
      assertThat(readAnswer(socket)).startsWith("HTTP/1.1 413").contains("larger than the limit");
    }
    assertThat(Reviews.response(post(REVIEW)).getBoolean("allowed")).isTrue();
  }

  @Test
  void bytesAfterTheReviewAre400() {
    for (String trailing : List.of("{}", "x", "]")) {
      given()
          .body(REVIEW + trailing)
          .contentType(ContentType.JSON)
          .post(Endpoint.MUTATE.path())
          .then()
          .statusCode(400)
          .body(containsString("trailing data after the review object"));
    }
  }

  @Test
  void reviewsPastTheBytesInFlightAre503WithRetryAfterAndTheServerKeepsServing() throws Exception {
    String padded = REVIEW + " ".repeat(9_000 - REVIEW.length());
    byte[] body = padded.getBytes(StandardCharsets.UTF_8);
    double overloadedBefore =
        series("icr_injector_admissions_total{path=\"/mutate\",result=\"overloaded\"}");
    try (Socket first = open();
        Socket second = open()) {
      // Two reviews whose headers are in but whose bodies are not: they hold the whole bound.
      for (Socket s : List.of(first, second)) {
        s.getOutputStream().write(headers(body.length));
        s.getOutputStream().write(body, 0, 100);
        s.getOutputStream().flush();
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> inFlight() == 2 * body.length);

      // A third is refused before its body is read, and says why and when to come back.
      given()
          .body(REVIEW)
          .contentType(ContentType.JSON)
          .post(Endpoint.MUTATE.path())
          .then()
          .statusCode(503)
          .header("Retry-After", "1")
          .body(containsString("would pass icr.max-bytes-in-flight=" + HostileProfile.BOUND));
      assertThat(
              series("icr_injector_admissions_total{path=\"/mutate\",result=\"overloaded\"}")
                  - overloadedBefore)
          .isEqualTo(1);

      // The held ones finish and are answered as usual.
      for (Socket s : List.of(first, second)) {
        s.getOutputStream().write(body, 100, body.length - 100);
        s.getOutputStream().flush();
        assertThat(readHead(s)).startsWith("HTTP/1.1 200");
      }
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> inFlight() == 0);
    JsonObject response = Reviews.response(post(REVIEW));
    assertThat(response.getBoolean("allowed")).isTrue();
    assertThat(response.containsKey("patch")).isTrue();
  }

  @Test
  void aClientThatHangsUpMidBodyIsNotAnErrorAndGivesItsBytesBack() throws Exception {
    List<LogRecord> records = new CopyOnWriteArrayList<>();
    Handler capture =
        new Handler() {
          @Override
          public void publish(LogRecord r) {
            if (r.getLevel().intValue() >= Level.SEVERE.intValue()
                || r.getLoggerName().equals(AdmissionRoutes.class.getName())) {
              records.add(r);
            }
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    Logger root = Logger.getLogger("");
    root.addHandler(capture);
    try {
      try (Socket socket = open()) {
        socket.getOutputStream().write(headers(5_000));
        socket.getOutputStream().write("{\"apiVersion\":".getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        await().atMost(Duration.ofSeconds(20)).until(() -> inFlight() == 5_000);
      }
      // The first word the server says about it: an ERROR (what it used to log), or the door's
      // DEBUG line.
      await().atMost(Duration.ofSeconds(20)).until(() -> !records.isEmpty());
      LogRecord first = records.get(0);
      assertThat(first.getLevel().intValue())
          .as(first.getLoggerName() + ": " + first.getMessage())
          .isLessThan(Level.SEVERE.intValue());
      assertThat(first.getMessage()).contains("closed the connection");
      await().atMost(Duration.ofSeconds(20)).until(() -> inFlight() == 0);
      assertThat(records).noneMatch(r -> r.getLevel().intValue() >= Level.SEVERE.intValue());
    } finally {
      root.removeHandler(capture);
    }
  }

  private static Socket open() throws IOException {
    Socket socket = new Socket("localhost", RestAssured.port);
    socket.setSoTimeout(20_000);
    return socket;
  }

  private static byte[] headers(long contentLength) {
    return ("POST "
            + Endpoint.MUTATE.path()
            + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            + "Content-Length: "
            + contentLength
            + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  /** Everything the server sends until it closes the connection. */
  private static String readAnswer(Socket socket) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    InputStream in = socket.getInputStream();
    byte[] buf = new byte[8192];
    try {
      for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
        all.write(buf, 0, n);
      }
    } catch (IOException e) {
      // a reset after the answer: what came before it is the answer
    }
    return all.toString(StandardCharsets.UTF_8);
  }

  /** The status line and headers of one answer on a kept-alive connection. */
  private static String readHead(Socket socket) throws IOException {
    StringBuilder head = new StringBuilder();
    InputStream in = socket.getInputStream();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int c = in.read();
      if (c < 0) {
        break;
      }
      head.append((char) c);
    }
    return head.toString();
  }

  private static long inFlight() {
    return (long) series("icr_injector_reviews_in_flight_bytes");
  }

  private static double series(String name) {
    return Management.value(Management.scrape(), name);
  }

  private static String post(String review) {
    return given()
        .body(review)
        .contentType(ContentType.JSON)
        .post(Endpoint.MUTATE.path())
        .then()
        .statusCode(200)
        .extract()
        .asString();
  }
}
