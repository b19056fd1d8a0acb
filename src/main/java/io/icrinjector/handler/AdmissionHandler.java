package io.icrinjector.handler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icrinjector.config.IcrConfig;
import io.icrinjector.engine.Decision;
import io.icrinjector.engine.MalformedReviewException;
import io.icrinjector.engine.MutationEngine;
import io.icrinjector.engine.ReviewReader;
import io.icrinjector.engine.RewriteRules;
import io.icrinjector.patch.PatchBuilder;
import io.icrinjector.secrets.PullSecretCopier;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Answers one AdmissionReview: reads it, asks the {@link MutationEngine}, builds the patch, makes sure the pull
 * secrets are in the namespace (the one call to {@link PullSecretCopier}) and writes the answer. Runs on the I/O
 * thread and, once a namespace has its secrets, makes no Kubernetes API call; the one wait it can meet is the
 * asynchronous log queue, which blocks rather than drops a decision line if the console stalls. The review's
 * envelope is checked by {@link RequestReader}; an audit's answer is built by {@link AuditAnswer}.
 */
@ApplicationScoped
public class AdmissionHandler {

  private static final Logger LOG = Logger.getLogger(AdmissionHandler.class);

  private final RequestReader reader;
  private final MutationEngine engine;
  private final PullSecretCopier copier;
  private final IcrConfig config;
  private final AdmissionMetrics metrics;
  private final AuditAnswer audit;

  /** CDI constructor. */
  public AdmissionHandler(
      ObjectMapper mapper,
      RewriteRules rules,
      PullSecretCopier copier,
      IcrConfig config,
      AdmissionMetrics metrics) {
    this.reader = new RequestReader(new ReviewReader(mapper));
    this.engine = new MutationEngine(rules);
    this.copier = copier;
    this.config = config;
    this.metrics = metrics;
    this.audit = new AuditAnswer(copier, config, metrics);
  }

  /**
   * Handles one request body.
   *
   * @param body the raw HTTP body
   * @param audit true for {@code /audit}; {@code /mutate} also audits when {@code icr.mode=audit}
   * @return the answer; an unexpected failure surfaces as a failed Uni (HTTP 500, the failurePolicy decides)
   */
  public Uni<AdmissionAnswer> handle(byte[] body, boolean audit) {
    Endpoint endpoint = audit ? Endpoint.AUDIT : Endpoint.MUTATE;
    return Uni.createFrom()
        .emitter(
            emitter ->
                handle(
                    body,
                    0,
                    body.length,
                    endpoint,
                    (answer, failure) -> {
                      if (failure != null) {
                        emitter.fail(failure);
                      } else {
                        emitter.complete(answer);
                      }
                    }));
  }

  /**
   * Handles one request body held in {@code length} bytes of {@code buffer} from {@code offset} (the door's
   * buffer, read in place), sent to {@code endpoint}, and gives {@code done} the answer or, for a bug, the failure
   * (HTTP 500: the failurePolicy decides). {@code done} runs before this returns unless a secret copy is waited
   * for: a review whose namespace has its secrets builds no Uni and subscribes to nothing (Mutiny's operators and
   * the context propagation around each of them cost more than the decision).
   */
  public void handle(
      byte[] buffer,
      int offset,
      int length,
      Endpoint endpoint,
      BiConsumer<AdmissionAnswer, Throwable> done) {
    long start = System.nanoTime();
    AdmissionAnswer now;
    try {
      now = answer(buffer, offset, length, endpoint, start, done);
    } catch (RuntimeException e) {
      failed(endpoint, start, e);
      done.accept(null, e);
      return;
    }
    if (now != null) {
      done.accept(now, null);
    }
  }

  /** A bug, not bad input: logged, counted, and left to the door to answer 500 (the failurePolicy decides). */
  private void failed(Endpoint path, long start, Throwable e) {
    LOG.errorf(e, "admission failed unexpectedly");
    metrics.admission(path, AdmissionMetrics.Result.ERROR, start);
  }

  /**
   * The Uni, with a throw while subscribing turned into its failure. Mutiny reports most failures downstream, but
   * an operator that throws as it subscribes (Vert.x refuses a timer under 1 ms: "Cannot schedule a timer with
   * delay < 1 ms") throws up the subscriber's stack: the door answered 500 and nothing counted it.
   */
  private static <T> Uni<T> safely(Supplier<Uni<T>> source) {
    return Uni.createFrom()
        .emitter(emitter -> source.get().subscribe().with(emitter::complete, emitter::fail));
  }

  /** @return the answer, or null when it goes to {@code done} later (a secret copy is waited for) */
  private AdmissionAnswer answer(
      byte[] buffer,
      int offset,
      int length,
      Endpoint path,
      long start,
      BiConsumer<AdmissionAnswer, Throwable> done) {
    JsonNode request;
    String uid;
    Decision decision;
    try {
      request = reader.read(buffer, offset, length);
      uid = request.get("uid").asText();
      decision = engine.decide(request);
    } catch (MalformedReviewException e) {
      LOG.debugf("rejected unreadable review: %s", LogText.escape(e.getMessage()));
      metrics.admission(path, AdmissionMetrics.Result.BAD_REQUEST, start);
      return AdmissionAnswer.badRequest(e.getMessage());
    }
    boolean auditing = path.audit() || config.mode() == IcrConfig.Mode.AUDIT;
    String namespace = request.path("namespace").asText("");
    boolean dryRun = request.path("dryRun").asBoolean(false);
    if (decision.skipReason() != null) {
      if (LOG.isDebugEnabled()) {
        LOG.debugf(
            "uid=%s namespace=%s pod=%s skipped: %s",
            LogText.escape(uid),
            namespace,
            LogText.escape(DecisionLog.podName(request)),
            LogText.escape(decision.skipReason()));
      }
      metrics.admission(path, AdmissionMetrics.Result.SKIPPED, start);
      return AdmissionAnswer.review(ReviewWriter.write(uid, null, List.of(), Map.of()));
    }
    if (auditing) {
      AdmissionAnswer answer = audit.answer(request, uid, namespace, decision);
      metrics.admission(path, AdmissionMetrics.Result.AUDITED, start);
      return answer;
    }
    byte[] patch = PatchBuilder.build(decision);
    List<String> copyProblems =
        decision.secretsNeeded().isEmpty() || namespace.isEmpty()
            ? List.of()
            : copiesNow(namespace, decision.secretsNeeded(), dryRun);
    if (copyProblems != null) {
      return patched(path, start, request, uid, namespace, dryRun, decision, patch, copyProblems);
    }
    ensureCopies(namespace, decision.secretsNeeded(), dryRun)
        .subscribe()
        .with(
            problems -> {
              AdmissionAnswer answer;
              try {
                answer =
                    patched(
                        path, start, request, uid, namespace, dryRun, decision, patch, problems);
              } catch (RuntimeException e) {
                failed(path, start, e);
                done.accept(null, e);
                return;
              }
              done.accept(answer, null);
            });
    return null;
  }

  private AdmissionAnswer patched(
      Endpoint path,
      long start,
      JsonNode request,
      String uid,
      String namespace,
      boolean dryRun,
      Decision decision,
      byte[] patch,
      List<String> copyProblems) {
    List<String> warnings = concat(decision.warnings(), copyProblems);
    // The line says what the answer did, like the metric: a warning alone (an unknown region, a
    // copy problem
    // on a pod that needs no change) sends no patch.
    String outcome = patch == null ? "unchanged" : "patched";
    DecisionLog.log(
        uid, namespace, request, dryRun ? outcome + " (dry run)" : outcome, decision, warnings);
    if (patch != null && !dryRun) {
      metrics.rewrites(decision.changes());
      metrics.pullSecretsAttached(decision.secretsToAttach().size());
    }
    metrics.admission(
        path,
        patch == null ? AdmissionMetrics.Result.UNCHANGED : AdmissionMetrics.Result.PATCHED,
        start);
    return AdmissionAnswer.review(ReviewWriter.write(uid, patch, warnings, Map.of()));
  }

  /** The copier's answer from memory, or null: wait for it (a copier that throws is heard out there too). */
  private List<String> copiesNow(String namespace, List<String> secrets, boolean dryRun) {
    try {
      return copier.ensureNow(namespace, secrets, dryRun);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /**
   * The copier's warnings. Its contract is never to fail; if it does anyway (the timer race above was one such
   * bug), the pod still gets its patch, with a warning, and the log gets the cause: a failed copy never blocks a
   * pod.
   */
  private Uni<List<String>> ensureCopies(String namespace, List<String> secrets, boolean dryRun) {
    return safely(() -> copier.ensure(namespace, secrets, dryRun))
        .onFailure()
        .recoverWithItem(
            e -> {
              LOG.errorf(
                  e,
                  "checking the pull secrets %s of namespace %s failed; the answer carries a warning",
                  secrets,
                  namespace);
              return List.of(
                  "pull secret "
                      + String.join(",", secrets)
                      + ": copy not confirmed (internal error, see the webhook's log)");
            });
  }

  private static List<String> concat(List<String> a, List<String> b) {
    if (b.isEmpty()) {
      return a;
    }
    if (a.isEmpty()) {
      return b;
    }
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }
}
