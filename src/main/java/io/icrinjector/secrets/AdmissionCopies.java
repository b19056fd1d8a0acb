package io.icrinjector.secrets;

import io.fabric8.kubernetes.api.model.Secret;
import io.icrinjector.secrets.SecretCopyEvent.Outcome;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * The admission side of the {@link SecretReplicator}: what a review's pod needs now. Answers from the
 * {@link SecretCache} when the namespace holds its secrets; otherwise joins (or starts) the {@link CopyJobs} job of
 * each missing copy and waits for its first attempt within the admission's budget, or says why nothing is copied
 * (not opted in, opt-in not known yet, too many copies pending). Never blocks: it returns a Uni.
 */
final class AdmissionCopies {

  private static final Logger LOG = Logger.getLogger(AdmissionCopies.class);

  /** No warnings: the answer of a namespace that needs nothing (shared with SecretReplicator). */
  static final Uni<List<String>> NONE = Uni.createFrom().item(List.of());

  private final CopySettings settings;
  private final Consumer<SecretCopyEvent> events;
  private final Scheduler scheduler;
  private final SecretCache cache;
  private final CopyAttempts attempts;
  private final CopyJobs jobs;
  private final OptedInNamespaces optedIn;

  AdmissionCopies(
      CopySettings settings,
      Consumer<SecretCopyEvent> events,
      Scheduler scheduler,
      SecretCache cache,
      CopyAttempts attempts,
      CopyJobs jobs,
      OptedInNamespaces optedIn) {
    this.settings = settings;
    this.events = events;
    this.scheduler = scheduler;
    this.cache = cache;
    this.attempts = attempts;
    this.jobs = jobs;
    this.optedIn = optedIn;
  }

  /** {@link PullSecretCopier#ensure} for a namespace the replicator writes to (copying on, not protected). */
  Uni<List<String>> ensure(String namespace, List<String> secrets, boolean dryRun) {
    long deadline = scheduler.nanoTime() + settings.budget().toNanos();
    if (optedIn.contains(namespace)) {
      return ensureOptedIn(namespace, secrets, dryRun, deadline);
    }
    // Only the API server's namespaceSelector sends a review for an unlabelled namespace: anyone
    // else who reaches
    // the Service can forge one. Such a review gets its patch and a warning; nothing is copied,
    // queued or recorded.
    // A namespace labelled a moment ago may not have reached the watch yet: wait for it, within the
    // budget.
    // Before the watch has listed, whether the namespace is opted in is unknown: say so, rather
    // than blame its label.
    if (!optedIn.synced()) {
      return notOptedIn(namespace, secrets, false);
    }
    CompletableFuture<Void> appears = dryRun ? null : optedIn.appearance(namespace);
    long leftMillis = TimeUnit.NANOSECONDS.toMillis(settings.budget().toNanos());
    if (appears == null || leftMillis < 1) {
      return notOptedIn(namespace, secrets, true);
    }
    return Uni.createFrom()
        .completionStage(appears.thenApply(v -> Boolean.TRUE))
        .ifNoItem()
        .after(Duration.ofMillis(leftMillis))
        .recoverWithItem(Boolean.FALSE)
        .onFailure()
        .recoverWithItem(Boolean.FALSE)
        .chain(
            seen -> {
              if (seen && optedIn.contains(namespace)) {
                return ensureOptedIn(namespace, secrets, false, deadline);
              }
              optedIn.giveUp(namespace, appears);
              return notOptedIn(namespace, secrets, true);
            });
  }

  /**
   * {@link PullSecretCopier#ensureNow}: the warnings of an opted-in namespace that holds every secret (a same-named
   * secret that is not ours warns), or {@code null} when any is missing or the namespace is not known as opted in.
   */
  List<String> ensureNow(String namespace, List<String> secrets) {
    if (!optedIn.contains(namespace)) {
      return null;
    }
    List<String> warnings = List.of();
    for (String name : secrets) {
      Secret existing = cache.get(namespace, name);
      if (existing == null) {
        return null;
      }
      String w = attempts.foreignWarning(name, existing);
      if (w != null) {
        warnings = warnings.isEmpty() ? new ArrayList<>(1) : warnings;
        warnings.add(w);
      }
    }
    return warnings;
  }

  /** @param known whether the watch has listed, so the namespace is known not to be opted in */
  private Uni<List<String>> notOptedIn(String namespace, List<String> secrets, boolean known) {
    List<String> warnings = new ArrayList<>(secrets.size());
    for (String name : secrets) {
      if (cache.get(namespace, name) == null) {
        events.accept(
            new SecretCopyEvent(
                namespace,
                name,
                Outcome.NOT_OPTED_IN,
                known ? "namespace not opted in" : "namespace opt-in not known yet"));
        warnings.add(known ? CopyWarnings.notOptedIn(name) : CopyWarnings.optInUnknown(name));
      }
    }
    return warnings.isEmpty() ? NONE : Uni.createFrom().item(List.copyOf(warnings));
  }

  private Uni<List<String>> ensureOptedIn(
      String namespace, List<String> secrets, boolean dryRun, long deadline) {
    List<String> warnings = new ArrayList<>(0);
    List<Uni<String>> pending = new ArrayList<>(0);
    for (String name : secrets) {
      Secret existing = cache.get(namespace, name);
      if (existing != null) {
        String w = attempts.foreignWarning(name, existing);
        if (w != null) {
          warnings.add(w);
        }
      } else if (dryRun) {
        events.accept(
            new SecretCopyEvent(
                namespace,
                name,
                Outcome.DRY_RUN,
                "would copy from " + settings.sourceNamespace() + "/" + name));
      } else {
        CopyJob job = jobs.join(namespace, name);
        if (job == null) {
          // Deferred, not dropped: it becomes a job when one ends. Logged once per copy, not once
          // per pod.
          if (jobs.defer(namespace, name)) {
            LOG.warnf(
                "copy of secret %s into namespace %s deferred: %d copy jobs pending already "
                    + "(icr.secret-copy.max-pending); it starts when one ends",
                name, namespace, jobs.maxPending());
            events.accept(
                new SecretCopyEvent(
                    namespace, name, Outcome.NOT_QUEUED, "deferred: too many copies pending"));
          }
          warnings.add(CopyWarnings.notQueued(name, jobs.maxPending()));
        } else {
          awaitCopy(job, warnings, pending, deadline);
        }
      }
    }
    if (pending.isEmpty()) {
      return warnings.isEmpty() ? NONE : Uni.createFrom().item(List.copyOf(warnings));
    }
    return Uni.join()
        .all(pending)
        .andFailFast()
        .map(
            results -> {
              List<String> all = new ArrayList<>(warnings);
              results.stream().filter(w -> !w.isEmpty()).forEach(all::add);
              return List.copyOf(all);
            });
  }

  /** Adds what an admission learns of {@code job}: a warning now, or a wait for its first attempt. */
  private void awaitCopy(
      CopyJob job, List<String> warnings, List<Uni<String>> pending, long deadline) {
    Attempt last = job.last;
    if (job.first.isDone() && last != null) {
      // A copy that failed before is being retried in the background; say so without waiting again.
      if (last.warning() != null) {
        warnings.add(last.warning());
      }
      return;
    }
    // The budget runs from the job's start: a pod that joins a slow first attempt does not wait it
    // out again.
    long now = scheduler.nanoTime();
    long left = Math.min(settings.budget().toNanos() - (now - job.startedNanos), deadline - now);
    // Whole milliseconds: Mutiny truncates the timeout to them, and Vert.x refuses a timer under 1
    // ms ("Cannot
    // schedule a timer with delay < 1 ms", thrown as the answer subscribes). Under 1 ms left is no
    // time left.
    long leftMillis = TimeUnit.NANOSECONDS.toMillis(left);
    String slow = CopyWarnings.stillRunning(job.name, settings.budget());
    if (left <= 0 || leftMillis < 1) {
      warnings.add(slow);
      return;
    }
    // A stage of its own: on timeout Mutiny cancels its upstream, which must not be the job's
    // shared future.
    CompletableFuture<String> answer =
        job.first.thenApply(a -> a.warning() == null ? "" : a.warning());
    pending.add(
        Uni.createFrom()
            .completionStage(answer)
            .ifNoItem()
            .after(Duration.ofMillis(leftMillis))
            .recoverWithItem(slow));
  }
}
