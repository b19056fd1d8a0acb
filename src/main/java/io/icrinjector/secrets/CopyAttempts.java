package io.icrinjector.secrets;

import io.fabric8.kubernetes.api.model.Secret;
import io.icrinjector.kube.KubeErrors;
import io.icrinjector.kube.Labels;
import io.icrinjector.secrets.SecretCopyEvent.Outcome;
import java.net.HttpURLConnection;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * One copy job's try at making a namespace hold a pull secret, and what its result means: done, someone else's
 * secret left alone, worth a retry, or gone (the namespace left, or lost its opt-in label). Blocking; runs on the
 * copies' own pool.
 */
final class CopyAttempts {

  private static final Logger LOG = Logger.getLogger(CopyAttempts.class);

  private final CopySettings settings;
  private final SecretCache cache;
  private final CopyWriter writer;
  private final OptedInNamespaces optedIn;
  private final Consumer<SecretCopyEvent> events;

  CopyAttempts(
      CopySettings settings,
      SecretCache cache,
      CopyWriter writer,
      OptedInNamespaces optedIn,
      Consumer<SecretCopyEvent> events) {
    this.settings = settings;
    this.cache = cache;
    this.writer = writer;
    this.optedIn = optedIn;
    this.events = events;
  }

  /** One try at making {@code namespace} hold {@code name}; a copy job's attempt. Blocking, on a worker thread. */
  Attempt attempt(String namespace, String name) {
    if (!optedIn.contains(namespace)) {
      // The label went since the job began: its retries end here, with no write.
      return Attempt.gone(
          CopyWarnings.notOptedIn(name), "namespace " + namespace + " no longer opted in");
    }
    Secret existing = cache.get(namespace, name);
    if (existing != null) {
      return found(namespace, name, existing);
    }
    String verb = "get";
    try {
      Secret source = cache.source(name);
      if (source == null) {
        String where = settings.sourceNamespace() + "/" + name;
        return Attempt.retry(CopyWarnings.sourceMissing(where), "source " + where + " not found");
      }
      verb = "create";
      CopyWriter.Created created = writer.create(namespace, source);
      if (created.secret() == null) {
        return Attempt.retry(
            CopyWarnings.racedWithDeletion(name), "created and deleted concurrently");
      }
      cache.learned(created.secret());
      if (!created.byUs()) {
        return found(namespace, name, created.secret());
      }
      String version = source.getMetadata().getResourceVersion();
      LOG.infof(
          "created secret %s in namespace %s from %s/%s (source version %s)",
          name, namespace, settings.sourceNamespace(), name, version);
      events.accept(
          new SecretCopyEvent(namespace, name, Outcome.CREATED, "source version " + version));
      return Attempt.DONE;
    } catch (RuntimeException e) {
      return failure(namespace, name, verb, e);
    }
  }

  /** The copy job found {@code existing} in place: ours (done) or someone else's (left alone). */
  private Attempt found(String namespace, String name, Secret existing) {
    if (Labels.isOurs(existing)) {
      LOG.debugf("secret %s in namespace %s is already there", name, namespace);
      events.accept(new SecretCopyEvent(namespace, name, Outcome.EXISTS, "already present"));
      return Attempt.DONE;
    }
    String warning = foreignWarning(name, existing);
    LOG.infof(
        "secret %s in namespace %s is not managed by icr-injector; left unchanged%s",
        name, namespace, warning == null ? "" : " (it differs from the source)");
    events.accept(
        new SecretCopyEvent(
            namespace,
            name,
            Outcome.SKIPPED_FOREIGN,
            warning == null ? "same as source" : "differs from source"));
    return Attempt.foreign(warning);
  }

  /** Turns an API failure into a warning with its cause and its fix. */
  private Attempt failure(String namespace, String name, String verb, RuntimeException e) {
    int code = KubeErrors.code(e);
    if (KubeErrors.namespaceTerminating(e)) {
      return Attempt.gone(
          CopyWarnings.terminating(name), "namespace " + namespace + " terminating");
    }
    if (code == HttpURLConnection.HTTP_NOT_FOUND && "create".equals(verb)) {
      return Attempt.gone(
          CopyWarnings.namespaceNotFound(name), "namespace " + namespace + " not found");
    }
    if (code == HttpURLConnection.HTTP_FORBIDDEN) {
      return Attempt.retry(
          CopyWarnings.forbidden(
              verb, name, "get".equals(verb) ? settings.sourceNamespace() : null),
          "forbidden: " + KubeErrors.message(e));
    }
    if (code > 0) {
      return Attempt.retry(
          CopyWarnings.failed(name, code), "HTTP " + code + ": " + KubeErrors.message(e));
    }
    return Attempt.retry(CopyWarnings.unreachable(name), KubeErrors.describe(e));
  }

  /** The warning for a same-named secret that is not ours, or null when it is ours or equals the source. */
  String foreignWarning(String name, Secret existing) {
    if (Labels.isOurs(existing)) {
      return null;
    }
    Secret source = cache.get(settings.sourceNamespace(), name);
    if (source == null || SecretView.sameContent(source, existing)) {
      return null;
    }
    return CopyWarnings.foreignDiffers(name, settings.sourceNamespace());
  }
}
