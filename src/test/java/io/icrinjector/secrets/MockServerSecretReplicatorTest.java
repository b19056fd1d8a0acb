package io.icrinjector.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.icrinjector.secrets.SecretCopyEvent.Outcome;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The replicator scenarios against the fabric8 mock API server in CRUD mode (expectations, when set, answer first).
 * Also pins down what the mock does with field selectors, which the scenarios rely on.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class MockServerSecretReplicatorTest extends SecretReplicatorScenarios {

  @KubernetesTestServer KubernetesServer server;

  @jakarta.inject.Inject io.vertx.core.Vertx vertx;

  @Override
  protected KubernetesClient admin() {
    return server.getClient();
  }

  /** Makes the next {@code times} creations of secrets in {@code namespace} fail with HTTP {@code code}. */
  private void failSecretCreates(String namespace, int code, int times) {
    server
        .expect()
        .post()
        .withPath("/api/v1/namespaces/" + namespace + "/secrets")
        .andReturn(
            code,
            new StatusBuilder()
                .withStatus("Failure")
                .withCode(code)
                .withReason("Forbidden")
                .withMessage(
                    "secrets is forbidden: User \"system:serviceaccount:icr-injector:icr-injector\" "
                        + "cannot create resource \"secrets\" in API group \"\" in the namespace \""
                        + namespace
                        + "\"")
                .build())
        .times(times);
  }

  // ---- what only a mock can produce: an API server that fails the next creates
  // -------------------------------

  @Test
  void aForbiddenCopyWarnsWithTheRbacFixAndIsRetriedInTheBackground() {
    World w = new World();
    w.createSource(Map.of("k", b64("v")));
    Copier c = w.startedCopier();
    failSecretCreates(w.ns(1), 403, 2);

    List<String> warnings = c.ensure(w.ns(1));

    assertThat(warnings)
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m).contains("RBAC", "create", w.name, "ClusterRole");
            });
    await()
        .atMost(Duration.ofSeconds(15))
        .untilAsserted(() -> assertThat(w.get(w.ns(1))).isNotNull());
    await().atMost(Duration.ofSeconds(15)).until(() -> c.replicator.inFlight() == 0);
    assertThat(c.outcomes()).containsSubsequence(Outcome.FAILED, Outcome.FAILED, Outcome.CREATED);
  }

  /**
   * Issue 11, item 5: an API server answering 500 costs one request per attempt (fabric8's own retry made it 11 over
   * about 20 s), so the first pod's warning carries the cause instead of "still running".
   *
   * <p>Issue 23: it failed once under load. The scenario counted exactly one POST and one FAILED, as if the job
   * could make only one attempt in the test's time (the next back-off is a minute). But the watches' first events
   * reach their handlers after {@code synced()} says the informers have listed (fabric8 hands them to the handlers
   * on a thread of their own), and a late one (the source's ADD kicks every job for that name; a namespace's ADD
   * says the API server answers) legitimately runs the job again at once. What the claim is about: every attempt
   * costs one request, never a client-side retry; so the requests are counted against the attempts, and the count
   * must hold steady.
   */
  @Test
  void anApiServerAnswering500CostsOneRequestPerAttemptAndTheFirstPodHearsWhy() {
    World w = new World();
    w.createSource(Map.of("k", b64("v")));
    Copier c =
        w.copier(
            w.recordingAdminClient(),
            new CopySettings(
                true,
                w.sourceNs,
                List.of(w.name),
                Set.of(),
                Duration.ofSeconds(5),
                Duration.ofMinutes(1),
                Duration.ofMinutes(5)),
            true);
    await().atMost(Duration.ofSeconds(15)).until(c.replicator::synced);
    // The positive signal that the source's ADD reached the handler, so it rarely kicks the job
    // this test starts.
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> c.replicator.viewed(w.sourceNs, w.name) != null);
    failSecretCreates(w.ns(1), 500, 20);
    int before = c.requests.size();

    List<String> warnings = c.ensure(w.ns(1));

    assertThat(warnings)
        .singleElement()
        .asString()
        .contains(w.name, "HTTP 500", "retried in the background");
    java.util.function.Supplier<Long> posts =
        () ->
            c.requests.subList(before, c.requests.size()).stream()
                .filter(r -> r.startsWith("POST"))
                .count();
    java.util.function.Supplier<Long> failed =
        () -> c.outcomes().stream().filter(o -> o == Outcome.FAILED).count();
    // One request per attempt, and no more attempts than late first events can cause (a kick of the
    // running job and
    // one recovery; the back-off is a minute): fabric8 retrying on its own made eleven.
    await("one POST per failed attempt, steadily")
        .pollDelay(Duration.ZERO)
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(10))
        .until(() -> posts.get().equals(failed.get()));
    assertThat(failed.get()).isBetween(1L, 3L);
    assertThat(c.outcomes()).containsOnly(Outcome.FAILED);
  }

  /**
   * The mock's CRUD dispatcher matches {@code fieldSelector=metadata.name=...} on list and on watch, like the real
   * API server. The replicator filters by name as well, so a server that ignored the selector would cost memory,
   * not correctness.
   */
  @Test
  void theMockHonoursNameFieldSelectorsOnListAndWatch() {
    KubernetesClient k = admin();
    String ns = "fieldsel";
    k.secrets().inNamespace(ns).resource(secret(ns, "fs-a")).create();
    k.secrets().inNamespace(ns).resource(secret(ns, "fs-b")).create();

    List<Secret> listed =
        k.secrets().inAnyNamespace().withField("metadata.name", "fs-a").list().getItems();
    assertThat(listed).extracting(s -> s.getMetadata().getName()).containsExactly("fs-a");

    List<String> seen = new CopyOnWriteArrayList<>();
    try (Watch ignored =
        k.secrets()
            .inAnyNamespace()
            .withField("metadata.name", "fs-w")
            .watch(
                new Watcher<>() {
                  @Override
                  public void eventReceived(Action action, Secret s) {
                    seen.add(action + " " + s.getMetadata().getName());
                  }

                  @Override
                  public void onClose(WatcherException cause) {}
                })) {
      k.secrets().inNamespace(ns).resource(secret(ns, "fs-other")).create();
      k.secrets().inNamespace(ns).resource(secret(ns, "fs-w")).create();
      // Events arrive in order: once fs-w is seen, fs-other would have been seen first had it
      // passed the filter.
      await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains("ADDED fs-w"));
      assertThat(seen).containsExactly("ADDED fs-w");
    }
  }

  /**
   * An informer whose start throws (here: one already stopped) must not count as set up: the retry makes a new one
   * and the pod becomes ready. The retry waits on the fake clock, not in real time.
   */
  @Test
  void anInformerWhoseStartThrowsIsMadeAgainByTheRetry() {
    KubernetesClient k = admin();
    String name = "informer-retry";
    CopySettings settings =
        new CopySettings(
            true,
            "src-retry",
            List.of(name),
            java.util.Set.of(),
            Duration.ofSeconds(2),
            Duration.ofSeconds(1),
            Duration.ofSeconds(5));
    java.util.concurrent.atomic.AtomicInteger made =
        new java.util.concurrent.atomic.AtomicInteger();
    FakeScheduler clock = new FakeScheduler();
    SecretCache cache =
        new SecretCache(
            k,
            settings,
            clock,
            n -> {
              io.fabric8.kubernetes.client.informers.SharedIndexInformer<Secret> informer =
                  k.secrets().inAnyNamespace().withField("metadata.name", n).runnableInformer(0);
              if (made.getAndIncrement() == 0) {
                informer.stop(); // start() of a stopped informer throws
              }
              return informer;
            });
    SecretReplicator replicator =
        new SecretReplicator(
            k, settings, e -> {}, clock, cache, OptedInNamespaces.fixed(java.util.Set.of()));
    try {
      replicator.start();
      clock.runDue();
      assertThat(made).hasValue(1);
      assertThat(replicator.synced()).isFalse();

      clock.advance(SecretCache.SETUP_RETRY);

      assertThat(made).hasValue(2);
      await().atMost(Duration.ofSeconds(10)).until(replicator::synced);
    } finally {
      replicator.close();
    }
  }

  /**
   * Issue 11, item 4: with under 1 ms of the copy budget left, an admission is told "still running" at once. It
   * used to ask for a sub-millisecond timeout, which Quarkus schedules on Vert.x, which refuses it as the answer
   * subscribes ("Cannot schedule a timer with delay < 1 ms"). The first attempt waits on the fake clock meanwhile.
   */
  @Test
  void underOneMillisecondOfBudgetLeftIsNoTimeLeft() {
    KubernetesClient k = admin();
    String name = "submilli";
    CopySettings settings =
        new CopySettings(
            true,
            "src-submilli",
            List.of(name),
            java.util.Set.of(),
            Duration.ofSeconds(2),
            Duration.ofSeconds(1),
            Duration.ofSeconds(5));
    FakeScheduler clock = new FakeScheduler();
    SecretReplicator replicator =
        new SecretReplicator(
            k,
            settings,
            e -> {},
            clock,
            new SecretCache(k, settings, clock),
            OptedInNamespaces.fixed(java.util.Set.of("team-submilli")));
    try {
      replicator.ensure(
          "team-submilli", List.of(name), false); // starts the job; its attempt stays queued
      clock.skip(settings.budget().minusNanos(500_000));

      // Subscribed on a Vert.x context, as the handler does on the I/O thread: only there are
      // timers Vert.x's.
      java.util.concurrent.CompletableFuture<List<String>> answer =
          new java.util.concurrent.CompletableFuture<>();
      vertx
          .getOrCreateContext()
          .runOnContext(
              v -> {
                try {
                  replicator
                      .ensure("team-submilli", List.of(name), false)
                      .subscribe()
                      .with(answer::complete, answer::completeExceptionally);
                } catch (RuntimeException e) {
                  answer.completeExceptionally(e);
                }
              });

      assertThat(answer)
          .succeedsWithin(Duration.ofSeconds(10))
          .isEqualTo(List.of(CopyWarnings.stillRunning(name, settings.budget())));
    } finally {
      replicator.close();
    }
  }

  /**
   * Before the namespace watch has listed (an API server not reached since start), a review's namespace may well be
   * opted in: the warning says the opt-in is not known yet instead of blaming the namespace's label, and nothing
   * is copied or queued.
   */
  @Test
  void beforeTheNamespaceWatchHasListedTheOptInIsUnknownNotRefused() {
    KubernetesClient k = admin();
    String name = "optin-unknown";
    CopySettings settings =
        new CopySettings(
            true,
            "src-unknown",
            List.of(name),
            java.util.Set.of(),
            Duration.ofSeconds(2),
            Duration.ofSeconds(1),
            Duration.ofSeconds(5));
    FakeScheduler clock = new FakeScheduler();
    List<SecretCopyEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
    // Not started: neither watch has listed.
    SecretReplicator replicator =
        new SecretReplicator(
            k,
            settings,
            events::add,
            clock,
            new SecretCache(k, settings, clock),
            new OptedInNamespaces(k, 10));
    try {
      assertThat(
              replicator
                  .ensure("team-unknown", List.of(name), false)
                  .await()
                  .atMost(Duration.ofSeconds(5)))
          .containsExactly(CopyWarnings.optInUnknown(name));
      assertThat(events)
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.outcome()).isEqualTo(SecretCopyEvent.Outcome.NOT_OPTED_IN);
                assertThat(e.detail()).isEqualTo("namespace opt-in not known yet");
              });
      assertThat(k.secrets().inNamespace("team-unknown").withName(name).get()).isNull();
    } finally {
      replicator.close();
    }
  }

  private static Secret secret(String ns, String name) {
    return new SecretBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(ns)
        .endMetadata()
        .addToData("k", b64("v"))
        .build();
  }
}
