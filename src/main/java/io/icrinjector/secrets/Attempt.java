package io.icrinjector.secrets;

import io.icrinjector.secrets.SecretCopyEvent.Outcome;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * The outcome of one try at making a namespace hold a secret.
 *
 * @param kind whether the job is over, and how
 * @param warning what an admission waiting for this try is told, or null when nothing went wrong
 * @param detail the cause, for the log line and the Event
 */
record Attempt(Kind kind, String warning, String detail) {

  /** Done (the copy is there), foreign (a secret not ours is), gone (the namespace is), or retry later. */
  enum Kind {
    DONE,
    FOREIGN,
    GONE,
    RETRY
  }

  static final Attempt DONE = new Attempt(Kind.DONE, null, "");

  static Attempt retry(String warning, String detail) {
    return new Attempt(Kind.RETRY, warning, detail);
  }

  static Attempt gone(String warning, String detail) {
    return new Attempt(Kind.GONE, warning, detail);
  }

  static Attempt foreign(String warning) {
    return new Attempt(Kind.FOREIGN, warning, "not managed by icr-injector");
  }

  /** Whether the job ends with this try. */
  boolean finished() {
    return kind != Kind.RETRY;
  }

  /**
   * Logs and fires what this try of a copy job means, when it means something: a failure ({@code FAILED}, with
   * {@code next}, what the job does now) or a job given up because its namespace went ({@code ABANDONED}).
   */
  void report(
      String namespace, String name, int attempt, String next, Consumer<SecretCopyEvent> events) {
    Logger log = Logger.getLogger(CopyJobs.class);
    if (!finished()) {
      log.infof(
          "copy of secret %s into namespace %s failed (attempt %d): %s; %s",
          name, namespace, attempt, detail, next);
      events.accept(new SecretCopyEvent(namespace, name, Outcome.FAILED, detail));
    } else if (kind == Kind.GONE) {
      log.infof("copy of secret %s into namespace %s abandoned: %s", name, namespace, detail);
      events.accept(new SecretCopyEvent(namespace, name, Outcome.ABANDONED, detail));
    }
  }
}
