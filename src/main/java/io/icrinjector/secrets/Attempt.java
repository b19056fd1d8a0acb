package io.icrinjector.secrets;

/**
 * The outcome of one try at making a namespace hold a secret.
 *
 * @param kind whether the job is over, and how
 * @param warning what an admission waiting for this try is told, or null when nothing went wrong
 * @param detail the cause, for the log line and the Event
 */
record Attempt(Kind kind, String warning, String detail) {

  /** Done (the copy is there), foreign (a secret not ours is), gone (the namespace is), or retry later. */
  enum Kind { DONE, FOREIGN, GONE, RETRY }

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
}
