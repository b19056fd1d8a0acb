package io.icrinjector.secrets;

/**
 * What the {@link SecretReplicator} did about one secret in one namespace; fired as a CDI event so that metrics or
 * Kubernetes Events can be added later without touching the replicator. Observers run on the thread that fires:
 * a worker thread, except for {@code DRY_RUN}, which fires on the I/O thread that answers the dry run; so they
 * must be quick and must not block.
 *
 * @param namespace the namespace of the copy
 * @param secret the secret's name
 * @param outcome what happened
 * @param detail a short human-readable detail (the cause of a failure, the source version copied), never null
 */
public record SecretCopyEvent(String namespace, String secret, Outcome outcome, String detail) {

  /** The kinds of outcome. */
  public enum Outcome {
    /** A copy was created. */
    CREATED,
    /** A copy we own was updated to follow its source (no Event of its own: the pass's {@code ROTATED} counts it). */
    UPDATED,
    /**
     * A pass over every copy of a secret ended with copies out of step: {@code namespace} is the source's, the detail
     * counts the copies updated, failed and skipped. Fired once per pass, by the replica that writes rotations.
     */
    ROTATED,
    /** The copy was already there (made by another replica or an earlier attempt). */
    EXISTS,
    /** An attempt, or the update of a copy to follow its source, failed; it is retried. */
    FAILED,
    /** The namespace is gone or terminating: the copy job ended without a copy. */
    ABANDONED,
    /** A same-named secret that is not ours is in the namespace; it was left unchanged. */
    SKIPPED_FOREIGN,
    /** A dry-run request would have copied the secret; nothing was written. */
    DRY_RUN,
    /** The namespace does not carry {@code icr-injector.io/inject=enabled}: nothing copied, queued or recorded. */
    NOT_OPTED_IN,
    /** {@code icr.secret-copy.max-pending} copy jobs were pending already: this one is deferred until one ends. */
    NOT_QUEUED
  }
}
