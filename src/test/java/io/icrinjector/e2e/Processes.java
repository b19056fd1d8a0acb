package io.icrinjector.e2e;

import io.icrinjector.testing.ChildEnv;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.TerminalFailureException;

/** Small process and polling helpers for the end-to-end harness. */
public final class Processes {

  private Processes() {}

  /** A free loopback port. */
  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts a process with stdout and stderr going to {@code log}. */
  static Process start(List<String> command, Path log) {
    try {
      return ChildEnv.process(command)
          .redirectErrorStream(true)
          .redirectOutput(log.toFile())
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command.get(0), e);
    }
  }

  /** Runs a command to completion; returns its output, or throws with the output when it fails. */
  public static String run(List<String> command, Path dir) {
    try {
      Process p =
          ChildEnv.process(command)
              .directory(dir == null ? null : dir.toFile())
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " failed:\n" + out);
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Waits until {@code condition} holds (Awaitility, polled every 100 ms), failing with {@code what} and the log's
   * tail after {@code timeout}, or at once when {@code process} (if any) has exited.
   */
  static void await(
      String what, Duration timeout, Process process, Path log, BooleanSupplier condition) {
    try {
      Awaitility.await(what)
          .atMost(timeout)
          .pollDelay(Duration.ZERO)
          .pollInterval(Duration.ofMillis(100))
          .failFast(what + ": process exited", () -> process != null && !process.isAlive())
          .until(condition::getAsBoolean);
    } catch (TerminalFailureException exited) {
      throw new IllegalStateException(
          what + ": process exited with " + process.exitValue() + "\n" + tail(log), exited);
    } catch (ConditionTimeoutException late) {
      throw new IllegalStateException(what + ": not within " + timeout + "\n" + tail(log), late);
    }
  }

  /** {@link #await} until a GET of {@code url} answers 200; a refused or timed-out connection means not yet. */
  static void awaitOk(String what, Duration timeout, Process process, Path log, String url) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest get = HttpRequest.newBuilder(URI.create(url)).build();
    await(
        what,
        timeout,
        process,
        log,
        () -> {
          try {
            return http.send(get, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
          } catch (IOException notYet) {
            return false;
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
          }
        });
  }

  /** Stops a process: SIGTERM, then SIGKILL after 20 s. */
  static void stop(Process p) {
    if (p == null || !p.isAlive()) {
      return;
    }
    p.destroy();
    try {
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The last lines of a log, for failure messages. */
  static String tail(Path log) {
    if (log == null || !Files.exists(log)) {
      return "";
    }
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return "--- last lines of "
          + log
          + ":\n"
          + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
