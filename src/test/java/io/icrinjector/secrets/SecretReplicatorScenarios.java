package io.icrinjector.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.icrinjector.kube.Labels;
import io.icrinjector.secrets.SecretCopyEvent.Outcome;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the secret replicator promises, written against any API server: the fabric8 mock server runs it as a fast
 * component test ({@link MockServerSecretReplicatorTest}); the real control plane of the end-to-end tests runs it as
 * {@link RealApiServerSecretReplicatorIT}. What only a mock can produce (an API server told to fail the next creates
 * with 403 or 500) is in {@link MockServerSecretReplicatorTest} alone, so neither suite skips a scenario.
 *
 * <p>Every scenario uses its own secret name and namespaces, so scenarios do not see each other's objects (nor the
 * application's own replicator, which watches {@code all-icr-io}). Each replicator gets its own client that records
 * every request it sends, which is how "no API call" and "field selector on every list and watch" are checked.
 */
abstract class SecretReplicatorScenarios {

  private static final AtomicInteger SEQ = new AtomicInteger();
  private static final Duration DEADLINE = Duration.ofSeconds(15);

  private final List<AutoCloseable> toClose = new ArrayList<>();

  /** A client with full rights on the API server under test, for setting up and checking. */
  protected abstract KubernetesClient admin();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
    toClose.clear();
  }

  // ---- scenarios
  // ---------------------------------------------------------------------------------------------

  @Test
  void firstPodGetsACopyWithTheSourcesTypeAndDataOnly() {
    World w = new World();
    Secret source =
        w.createSource(Map.of(".dockerconfigjson", b64("{\"auths\":{\"us.icr.io\":{}}}")));
    Copier c = w.startedCopier();

    List<String> warnings = c.ensure(w.ns(1));

    assertThat(warnings).isEmpty();
    Secret copy = w.get(w.ns(1));
    assertThat(copy).as("copy in %s", w.ns(1)).isNotNull();
    assertThat(copy.getType()).isEqualTo("kubernetes.io/dockerconfigjson");
    assertThat(copy.getData()).isEqualTo(source.getData());
    assertThat(copy.getMetadata().getLabels()).isEqualTo(Map.of(Labels.MANAGED_BY, Labels.MANAGER));
    assertThat(copy.getMetadata().getAnnotations())
        .isEqualTo(
            Map.of(
                Labels.SOURCE_ANNOTATION,
                w.sourceNs + "/" + w.name,
                Labels.SOURCE_VERSION_ANNOTATION,
                source.getMetadata().getResourceVersion()));
    assertThat(copy.getMetadata().getOwnerReferences()).isNullOrEmpty();
    assertThat(c.outcomes()).containsExactly(Outcome.CREATED);
  }

  @Test
  void onceANamespaceHasItsSecretEnsureMakesNoApiCallAndDoesNotHopThreads() {
    World w = new World();
    w.createSource(Map.of("k", b64("v")));
    Copier c = w.startedCopier();
    assertThat(c.replicator.ensureNow(w.ns(1), List.of(w.name), false))
        .as("a copy to make is ensure's")
        .isNull();
    assertThat(c.ensure(w.ns(1))).isEmpty();
    // A namespace whose copy was made by someone else is known from the watch alone.
    Copier other = w.startedCopier();
    assertThat(other.ensure(w.ns(2))).isEmpty();
    await().atMost(DEADLINE).until(() -> c.replicator.missing(w.ns(2), List.of(w.name)).isEmpty());

    int before = c.requests.size();
    for (int i = 0; i < 200; i++) {
      for (String ns : List.of(w.ns(1), w.ns(2))) {
        CompletableFuture<List<String>> answer =
            c.replicator.ensure(ns, List.of(w.name), false).subscribeAsCompletionStage();
        assertThat(answer).as("answer for %s already complete", ns).isCompletedWithValue(List.of());
        assertThat(c.replicator.ensureNow(ns, List.of(w.name), false))
            .as("answer for %s from memory", ns)
            .isEqualTo(List.of());
      }
    }
    assertThat(c.requests.subList(before, c.requests.size()))
        .as("API requests on the hot path")
        .isEmpty();
    assertThat(c.replicator.missing(w.ns(1), List.of(w.name))).isEmpty();
  }

  @Test
  void everyListAndWatchIsRestrictedToTheSecretName() {
    World w = new World();
    w.createSource(Map.of("k", b64("v")));
    // Same namespace, other names: must never reach the replicator's view.
    w.create(w.ns(1), "not-" + w.name, Map.of(), Map.of("k", b64("x")));
    Copier c = w.startedCopier();
    w.create(w.ns(2), "also-not-" + w.name, Map.of(), Map.of("k", b64("x")));
    assertThat(c.ensure(w.ns(3))).isEmpty();

    List<String> clusterWide =
        c.requests.stream()
            .filter(r -> r.startsWith("GET ") && r.contains("/api/v1/secrets"))
            .toList();
    assertThat(clusterWide).as("cluster-wide list and watch requests").isNotEmpty();
    assertThat(clusterWide)
        .allSatisfy(
            r ->
                assertThat(URLDecoder.decode(r, StandardCharsets.UTF_8))
                    .contains("fieldSelector=metadata.name=" + w.name));
    assertThat(c.replicator.viewed(w.ns(1), "not-" + w.name)).isNull();
  }

  @Test
  void aForeignSecretIsNeverTouchedAndWarnsOnlyWhenItDiffers() {
    World w = new World();
    w.createSource(Map.of("k", b64("source")));
    Secret differs = w.create(w.ns(1), w.name, Map.of("team", "a"), Map.of("k", b64("theirs")));
    Secret same = w.create(w.ns(2), w.name, Map.of(), Map.of("k", b64("source")));
    Copier c = w.startedCopier();

    List<String> warnings = c.ensure(w.ns(1));
    assertThat(warnings)
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m).contains(w.name, "differs from " + w.sourceNs, "left unchanged");
            });
    assertThat(c.ensure(w.ns(2))).isEmpty();
    assertThat(c.replicator.ensureNow(w.ns(1), List.of(w.name), false))
        .as("from memory")
        .isEqualTo(warnings);
    assertThat(c.replicator.ensureNow(w.ns(2), List.of(w.name), false)).as("from memory").isEmpty();
    assertThat(w.get(w.ns(1))).isEqualTo(differs);
    assertThat(w.get(w.ns(2))).isEqualTo(same);
    assertThat(c.requests)
        .noneMatch(r -> r.startsWith("POST") || r.startsWith("PUT") || r.startsWith("PATCH"));

    // Without a synced watch the create races the foreign secret: AlreadyExists, re-read, still not
    // touched.
    Copier blind = w.copierWithoutWatch();
    assertThat(blind.ensure(w.ns(1))).singleElement().asString().contains("left unchanged");
    assertThat(w.get(w.ns(1))).isEqualTo(differs);
    assertThat(blind.outcomes()).containsExactly(Outcome.SKIPPED_FOREIGN);
  }

  @Test
  void dryRunCreatesNothingAndStartsNothing() {
    World w = new World();
    w.createSource(Map.of("k", b64("v")));
    Copier c = w.startedCopier();
    int before = c.requests.size();

    CompletableFuture<List<String>> answer =
        c.replicator.ensure(w.ns(1), List.of(w.name), true).subscribeAsCompletionStage();

    assertThat(answer).isCompletedWithValue(List.of());
    assertThat(c.replicator.inFlight()).isZero();
    assertThat(c.requests.subList(before, c.requests.size())).isEmpty();
    assertThat(c.outcomes()).containsExactly(Outcome.DRY_RUN);
    assertThat(w.get(w.ns(1))).isNull();
    assertThat(c.replicator.missing(w.ns(1), List.of(w.name))).containsExactly(w.name);
  }

  @Test
  void rotationUpdatesOurCopiesAndNotForeignOnes() {
    World w = new World();
    w.createSource(Map.of("k", b64("v1")));
    Copier c = w.startedCopier();
    assertThat(c.ensure(w.ns(1))).isEmpty();
    assertThat(c.ensure(w.ns(2))).isEmpty();
    Secret foreign = w.create(w.ns(3), w.name, Map.of(), Map.of("k", b64("v1")));

    Secret rotated = w.updateSource(Map.of("k", b64("v2"), "extra", b64("e")));

    for (String ns : List.of(w.ns(1), w.ns(2))) {
      await()
          .atMost(DEADLINE)
          .untilAsserted(
              () -> {
                Secret copy = w.get(ns);
                assertThat(copy.getData())
                    .as("data of the copy in %s", ns)
                    .isEqualTo(rotated.getData());
                assertThat(copy.getMetadata().getAnnotations())
                    .containsEntry(
                        Labels.SOURCE_VERSION_ANNOTATION,
                        rotated.getMetadata().getResourceVersion());
                assertThat(copy.getMetadata().getLabels())
                    .containsEntry(Labels.MANAGED_BY, Labels.MANAGER);
              });
    }
    assertThat(w.get(w.ns(3))).isEqualTo(foreign);
    await()
        .atMost(DEADLINE)
        .untilAsserted(
            () -> assertThat(c.outcomes()).filteredOn(o -> o == Outcome.UPDATED).hasSize(2));
  }

  @Test
  void staleCopiesConvergeWhenTheReplicatorStarts() {
    World w = new World();
    Secret source = w.createSource(Map.of("k", b64("new")));
    w.create(w.ns(1), w.name, Map.of(Labels.MANAGED_BY, Labels.MANAGER), Map.of("k", b64("old")));
    Secret foreign = w.create(w.ns(2), w.name, Map.of(), Map.of("k", b64("old")));

    w.startedCopier();

    await()
        .atMost(DEADLINE)
        .untilAsserted(() -> assertThat(w.get(w.ns(1)).getData()).isEqualTo(source.getData()));
    assertThat(w.get(w.ns(2))).isEqualTo(foreign);
  }

  @Test
  void aDeletedSourceLeavesTheCopiesInPlace() {
    World w = new World();
    w.createSource(Map.of("k", b64("v")));
    Copier c = w.startedCopier();
    assertThat(c.ensure(w.ns(1))).isEmpty();

    admin().secrets().inNamespace(w.sourceNs).withName(w.name).delete();
    await().atMost(DEADLINE).until(() -> c.replicator.viewed(w.sourceNs, w.name) == null);

    assertThat(w.get(w.ns(1))).isNotNull();
    assertThat(c.requests).noneMatch(r -> r.startsWith("DELETE"));
    assertThat(c.replicator.missing(w.ns(1), List.of(w.name))).isEmpty();
  }

  @Test
  void aWarningForTheLongestNamespaceNameStillEndsWithItsFix() {
    World w = new World();
    Copier c = w.startedCopier();
    String longest =
        (w.ns(1) + "-" + "x".repeat(63)).substring(0, 63); // the longest namespace name there is
    ensureNamespace(longest);
    assertThat(c.ensure(longest))
        .singleElement()
        .asString()
        .endsWith("ibmcloud ks cluster pull-secret apply`")
        .doesNotContain(longest);
  }

  @Test
  void aMissingSourceWarnsWithTheFixAndTheCopyFollowsOnceTheSourceExists() {
    World w = new World();
    Copier c = w.startedCopier();

    List<String> warnings = c.ensure(w.ns(1));

    assertThat(warnings)
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m)
                  .contains(
                      w.sourceNs + "/" + w.name,
                      "not found",
                      "ibmcloud ks cluster pull-secret apply");
            });
    assertThat(w.get(w.ns(1))).isNull();
    assertThat(c.replicator.inFlight()).isEqualTo(1);
    // A second pod meanwhile shares the job and gets the same warning at once.
    assertThat(c.ensure(w.ns(1))).isEqualTo(warnings);

    Secret source = w.createSource(Map.of("k", b64("late")));

    await()
        .atMost(DEADLINE)
        .untilAsserted(
            () -> {
              Secret copy = w.get(w.ns(1));
              assertThat(copy).isNotNull();
              assertThat(copy.getData()).isEqualTo(source.getData());
            });
    await().atMost(DEADLINE).until(() -> c.replicator.inFlight() == 0);
    assertThat(c.ensure(w.ns(1))).isEmpty();
  }

  @Test
  void anUnreachableApiServerWarnsAndKeepsRetryingInTheBackground() throws IOException {
    World w = new World();
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    Copier c =
        w.copier(
            clientFor("http://127.0.0.1:" + closedPort),
            w.settings(Duration.ofSeconds(5)),
            false,
            Set.of(w.ns(1)));

    List<String> warnings = c.ensure(w.ns(1));

    assertThat(warnings)
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m).contains(w.name, "unreachable", "retried in the background");
            });
    await()
        .atMost(DEADLINE)
        .untilAsserted(
            () ->
                assertThat(c.outcomes())
                    .filteredOn(o -> o == Outcome.FAILED)
                    .hasSizeGreaterThanOrEqualTo(3));
    assertThat(c.replicator.inFlight()).isEqualTo(1);
  }

  @Test
  void aSlowApiServerCostsTheAdmissionNoMoreThanItsBudget() throws IOException {
    World w = new World();
    // Accepts connections (in the backlog) and never answers.
    ServerSocket silent = new ServerSocket(0);
    toClose.add(silent);
    Duration budget = Duration.ofMillis(300);
    Copier c =
        w.copier(
            clientFor("http://127.0.0.1:" + silent.getLocalPort()),
            w.settings(budget),
            false,
            Set.of(w.ns(1)));

    long start = System.nanoTime();
    List<String> warnings = c.ensure(w.ns(1));
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    assertThat(warnings)
        .singleElement()
        .asString()
        .contains("still running after 300ms", "background");
    assertThat(tookMs).as("time spent in the admission").isLessThan(3_000);
    assertThat(c.replicator.inFlight()).isEqualTo(1);
    // The next pod joins the same, still running, copy: the first admission's timeout must not have
    // broken it,
    // and the budget is already spent, so the answer comes at once.
    CompletableFuture<List<String>> next =
        c.replicator.ensure(w.ns(1), List.of(w.name), false).subscribeAsCompletionStage();
    assertThat(next).isCompleted();
    assertThat(next.join()).singleElement().asString().contains("still running after 300ms");
    assertThat(c.replicator.inFlight()).isEqualTo(1);
  }

  /**
   * Issue 11, item 1: anything that reaches the Service can post a review naming any namespace. One that does not
   * carry {@code icr-injector.io/inject=enabled} (or does not exist) gets no copy of the API key, no Event, no retry.
   */
  @Test
  void aNamespaceThatIsNotOptedInGetsNoCopyNoEventAndNoRetry() {
    World w = new World();
    w.createSource(Map.of("k", b64("v")));
    Copier c = w.copier(w.recordingAdminClient(), w.settings(Duration.ofMillis(300)), true);
    await().atMost(DEADLINE).until(c.replicator::synced);
    String unlabelled = w.ns(0) + "-unlabelled";
    unlabelledNamespace(unlabelled);
    int before = c.requests.size();

    for (String ns : List.of(unlabelled, w.ns(0) + "-nowhere")) {
      assertThat(c.ensure(ns))
          .as("answer for %s", ns)
          .singleElement()
          .asString()
          .contains("icr-injector.io/inject=enabled", w.name, "not copied")
          .hasSizeLessThanOrEqualTo(120 - 14);
      assertThat(w.get(ns)).as("secret in %s", ns).isNull();
    }
    assertThat(c.requests.subList(before, c.requests.size())).as("API requests").isEmpty();
    assertThat(c.replicator.inFlight()).isZero();
    assertThat(c.outcomes()).containsExactly(Outcome.NOT_OPTED_IN, Outcome.NOT_OPTED_IN);
  }

  /** A namespace labelled a moment before its first pod (as scripts do) is waited for, within the budget. */
  @Test
  void aNamespaceLabelledJustBeforeItsFirstPodGetsItsCopy() {
    World w = new World();
    w.createSource(Map.of("k", b64("v")));
    Copier c = w.startedCopier();
    String late = w.ns(0) + "-late";
    unlabelledNamespace(late);
    admin()
        .namespaces()
        .withName(late)
        .edit(
            n ->
                new NamespaceBuilder(n)
                    .editMetadata()
                    .addToLabels(Labels.INJECT, Labels.INJECT_ENABLED)
                    .endMetadata()
                    .build());

    assertThat(c.ensure(late)).isEmpty();
    assertThat(w.get(late)).isNotNull();
  }

  @Test
  void manyPodsAtOnceInANewNamespaceShareOneCreate() throws Exception {
    World w = new World();
    w.createSource(Map.of("k", b64("v")));
    Copier c = w.startedCopier();
    int before = c.requests.size();

    List<List<String>> answers = parallel(w, 20, i -> c.replicator);

    assertThat(answers).hasSize(20).allSatisfy(a -> assertThat(a).isEmpty());
    assertThat(w.all(w.ns(1))).hasSize(1);
    assertThat(c.requests.subList(before, c.requests.size()))
        .filteredOn(r -> r.startsWith("POST"))
        .hasSize(1);
  }

  @Test
  void twoReplicasCreatingTheSameCopyBothSucceed() throws Exception {
    World w = new World();
    w.createSource(Map.of("k", b64("v")));
    Copier a = w.startedCopier();
    Copier b = w.startedCopier();

    List<List<String>> answers = parallel(w, 20, i -> i % 2 == 0 ? a.replicator : b.replicator);

    assertThat(answers).hasSize(20).allSatisfy(x -> assertThat(x).isEmpty());
    assertThat(w.all(w.ns(1))).hasSize(1);
    List<Outcome> all = new ArrayList<>(a.outcomes());
    all.addAll(b.outcomes());
    assertThat(all).filteredOn(o -> o == Outcome.CREATED).hasSize(1);
    assertThat(all).doesNotContain(Outcome.FAILED, Outcome.SKIPPED_FOREIGN);
  }

  @Test
  void protectedNamespacesAreNeverWritten() {
    World w = new World();
    w.createSource(Map.of("k", b64("v")));
    String webhookNs = w.ns(7);
    Copier c =
        w.copier(
            w.recordingAdminClient(),
            new CopySettings(
                true,
                w.sourceNs,
                List.of(w.name),
                Set.of(webhookNs),
                Duration.ofSeconds(2),
                Duration.ofMillis(50),
                Duration.ofMillis(500)),
            true);
    await().atMost(DEADLINE).until(c.replicator::synced);
    int before = c.requests.size();

    for (String ns :
        List.of("kube-system", "kube-public", "kube-node-lease", webhookNs, w.sourceNs)) {
      assertThat(c.replicator.ensure(ns, List.of(w.name), false).subscribeAsCompletionStage())
          .as("answer for %s", ns)
          .isCompletedWithValue(List.of());
      assertThat(c.replicator.missing(ns, List.of(w.name))).isEmpty();
      if (!ns.equals(w.sourceNs)) {
        assertThat(w.get(ns)).as("secret in %s", ns).isNull();
      }
    }
    assertThat(c.requests.subList(before, c.requests.size())).isEmpty();
    assertThat(c.replicator.inFlight()).isZero();
  }

  @Test
  void disabledCopyingDoesNothing() {
    World w = new World();
    w.createSource(Map.of("k", b64("v")));
    CopySettings off =
        new CopySettings(
            false,
            w.sourceNs,
            List.of(w.name),
            Set.of(),
            Duration.ofSeconds(2),
            Duration.ofMillis(50),
            Duration.ofMillis(500));
    Copier c = w.copier(w.recordingAdminClient(), off, true);

    assertThat(c.replicator.ensure(w.ns(1), List.of(w.name), false).subscribeAsCompletionStage())
        .isCompletedWithValue(List.of());
    assertThat(c.replicator.missing(w.ns(1), List.of(w.name))).isEmpty();
    assertThat(c.replicator.synced()).isTrue();
    assertThat(c.requests).isEmpty();
    assertThat(w.get(w.ns(1))).isNull();
  }

  // ---- fixtures
  // ----------------------------------------------------------------------------------------------

  /** One scenario's names: its own secret name, source namespace and target namespaces. */
  final class World {
    final int id = SEQ.incrementAndGet();
    final String name = "pull-" + id + "-" + Long.toHexString(System.nanoTime() & 0xffff);
    final String sourceNs = "src-" + id;

    String ns(int i) {
      return "team-" + id + "-" + i;
    }

    CopySettings settings(Duration budget) {
      return new CopySettings(
          true,
          sourceNs,
          List.of(name),
          Set.of(),
          budget,
          Duration.ofMillis(50),
          Duration.ofMillis(500));
    }

    Secret createSource(Map<String, String> data) {
      return create(sourceNs, name, Map.of("source-only", "yes"), data);
    }

    Secret updateSource(Map<String, String> data) {
      Secret current = get(sourceNs);
      return admin()
          .secrets()
          .inNamespace(sourceNs)
          .resource(new SecretBuilder(current).withData(data).build())
          .update();
    }

    Secret create(
        String namespace, String secretName, Map<String, String> labels, Map<String, String> data) {
      ensureNamespace(namespace);
      return admin()
          .secrets()
          .inNamespace(namespace)
          .resource(
              new SecretBuilder()
                  .withNewMetadata()
                  .withName(secretName)
                  .withLabels(labels)
                  .addToAnnotations("source-annotation", "not copied")
                  .endMetadata()
                  .withType(
                      data.containsKey(".dockerconfigjson")
                          ? "kubernetes.io/dockerconfigjson"
                          : "Opaque")
                  .withData(data)
                  .build())
          .create();
    }

    Secret get(String namespace) {
      return admin().secrets().inNamespace(namespace).withName(name).get();
    }

    List<Secret> all(String namespace) {
      return admin()
          .secrets()
          .inNamespace(namespace)
          .withField("metadata.name", name)
          .list()
          .getItems();
    }

    /** A replicator with its own recording client, started, its watch synced, and target namespaces present. */
    Copier startedCopier() {
      Copier c = copier(recordingAdminClient(), settings(Duration.ofSeconds(5)), true);
      await().atMost(DEADLINE).until(c.replicator::synced);
      return c;
    }

    /** A replicator that never watches: every missing secret goes through the API. */
    Copier copierWithoutWatch() {
      return copier(
          recordingAdminClient(),
          settings(Duration.ofSeconds(5)),
          false,
          Set.of(ns(1), ns(2), ns(3)));
    }

    Copier copier(Recording client, CopySettings settings, boolean start) {
      return copier(client, settings, start, null);
    }

    /** {@code optedIn}: the namespaces it takes as opted in, without a watch; null to watch the labels. */
    Copier copier(Recording client, CopySettings settings, boolean start, Set<String> optedIn) {
      for (int i = 1; i <= 9; i++) {
        ensureNamespace(ns(i));
      }
      Copier c = new Copier(client, settings, optedIn);
      toClose.add(c);
      if (start) {
        c.replicator.start();
      }
      return c;
    }

    Recording recordingAdminClient() {
      return record(admin().getConfiguration());
    }
  }

  /** A replicator, its events, and the requests its client sent. */
  final class Copier implements AutoCloseable {
    final SecretReplicator replicator;
    final List<String> requests;
    final List<SecretCopyEvent> events = new CopyOnWriteArrayList<>();
    private final KubernetesClient client;
    private final String name;

    Copier(Recording recording, CopySettings settings, Set<String> optedIn) {
      this.client = recording.client();
      this.requests = recording.requests();
      this.name = settings.secretNames().get(0);
      Scheduler workers = Scheduler.of(Infrastructure::getDefaultWorkerPool);
      this.replicator =
          optedIn == null
              ? new SecretReplicator(
                  client, settings, events::add, Infrastructure::getDefaultWorkerPool)
              : new SecretReplicator(
                  client,
                  settings,
                  events::add,
                  workers,
                  new SecretCache(client, settings, workers),
                  OptedInNamespaces.fixed(optedIn));
    }

    /** One admission's call for the scenario's secret, waited for as the handler would. */
    List<String> ensure(String namespace) {
      return replicator
          .ensure(namespace, List.of(name), false)
          .await()
          .atMost(Duration.ofSeconds(20));
    }

    List<Outcome> outcomes() {
      return events.stream().map(SecretCopyEvent::outcome).toList();
    }

    @Override
    public void close() {
      replicator.close();
      client.close();
    }
  }

  record Recording(KubernetesClient client, List<String> requests) {}

  private final Set<String> namespacesMade = ConcurrentHashMap.newKeySet();

  /** Makes {@code namespace}, opted in ({@code icr-injector.io/inject=enabled}) as the webhook expects. */
  private void ensureNamespace(String namespace) {
    if (namespacesMade.add(namespace) && admin().namespaces().withName(namespace).get() == null) {
      admin()
          .namespaces()
          .resource(
              new NamespaceBuilder()
                  .withNewMetadata()
                  .withName(namespace)
                  .addToLabels(Labels.INJECT, Labels.INJECT_ENABLED)
                  .endMetadata()
                  .build())
          .create();
    }
  }

  /** Makes {@code namespace} without the opt-in label. */
  void unlabelledNamespace(String namespace) {
    namespacesMade.add(namespace);
    admin()
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
        .create();
  }

  /** A client like {@code config} that records "METHOD uri" for every request it sends. */
  static Recording record(Config config) {
    List<String> requests = new CopyOnWriteArrayList<>();
    KubernetesClient client =
        new KubernetesClientBuilder()
            .withConfig(config)
            .withHttpClientBuilderConsumer(
                b ->
                    b.addOrReplaceInterceptor(
                        "record",
                        new Interceptor() {
                          @Override
                          public void before(
                              BasicBuilder builder, HttpRequest request, RequestTags tags) {
                            requests.add(request.method() + " " + request.uri());
                          }
                        }))
            .build();
    return new Recording(client, requests);
  }

  private Recording clientFor(String url) {
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl(url)
            .withRequestRetryBackoffLimit(0)
            .withRequestTimeout(10_000)
            .withConnectionTimeout(1_000)
            .build();
    return record(config);
  }

  /** {@code n} concurrent admissions for {@code ns(1)}, released together. */
  private static List<List<String>> parallel(World w, int n, IntFunction<SecretReplicator> who)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<CompletableFuture<List<String>>> answers = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        SecretReplicator r = who.apply(i);
        answers.add(
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    go.await();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  CompletionStage<List<String>> s =
                      r.ensure(w.ns(1), List.of(w.name), false).subscribeAsCompletionStage();
                  return s.toCompletableFuture().join();
                },
                pool));
      }
      go.countDown();
      List<List<String>> result = new ArrayList<>();
      for (CompletableFuture<List<String>> a : answers) {
        result.add(a.get(20, TimeUnit.SECONDS));
      }
      return result;
    } finally {
      pool.shutdownNow();
    }
  }

  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
