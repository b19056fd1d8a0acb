package io.icrinjector.secrets;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.icrinjector.kube.Clients;
import io.icrinjector.kube.Labels;
import io.icrinjector.secrets.SecretCopyEvent.Outcome;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One reconcile of a copy against its source, called as the watch's events and resyncs call it. The cache is fed
 * directly (no informer), so a resync is simply a second call with the same objects.
 */
class RotationTest {

  static final String NAME = "all-icr-io";
  static final CopySettings SETTINGS =
      new CopySettings(
          true,
          "default",
          List.of(NAME),
          Set.of(),
          Duration.ofSeconds(2),
          Duration.ofSeconds(1),
          Duration.ofMinutes(5));

  private final List<SecretCopyEvent> events = new CopyOnWriteArrayList<>();
  private KubernetesMockServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.destroy();
    }
  }

  static Secret secret(String ns, String type, String version, boolean ours, String value) {
    SecretBuilder b =
        new SecretBuilder()
            .withNewMetadata()
            .withName(NAME)
            .withNamespace(ns)
            .withUid(ns + "-uid")
            .withResourceVersion(version)
            .endMetadata()
            .withType(type)
            .withData(Map.of("k", value));
    if (ours) {
      b.editMetadata().addToLabels(Labels.MANAGED_BY, Labels.MANAGER).endMetadata();
    }
    return b.build();
  }

  /** A mock API server that stores what it is sent (list, watch, create, patch), started. */
  static KubernetesMockServer crudServer() {
    KubernetesMockServer s =
        new KubernetesMockServer(
            new io.fabric8.mockwebserver.Context(),
            new io.fabric8.mockwebserver.MockWebServer(),
            new java.util.HashMap<>(),
            new io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher(),
            false);
    s.init();
    return s;
  }

  private Rotation rotation(KubernetesClient client, Secret... known) {
    return rotation(client, () -> true, known);
  }

  private Rotation rotation(
      KubernetesClient client, java.util.function.BooleanSupplier leads, Secret... known) {
    SecretCache cache = new SecretCache(client, SETTINGS, new FakeScheduler());
    for (Secret s : known) {
      cache.learned(s);
    }
    return new Rotation(
        cache, new CopyWriter(client, SETTINGS.sourceNamespace()), SETTINGS, events::add, leads);
  }

  @Test
  void aSourceWhoseTypeChangedIsReportedOnceNotAtEveryResync() {
    Rotation r =
        rotation(
            null,
            secret("default", "kubernetes.io/dockerconfigjson", "20", false, "djI="),
            secret("team-a", "Opaque", "7", true, "djE="));

    r.reconcile("team-a", NAME);
    r.reconcile("team-a", NAME); // the next resync, nothing changed
    r.reconcile("team-a", NAME);

    assertThat(events)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.outcome()).isEqualTo(Outcome.FAILED);
              assertThat(e.detail())
                  .contains(
                      "source type is now kubernetes.io/dockerconfigjson", "delete this copy");
            });
  }

  @Test
  void aForbiddenUpdateIsLoud() {
    server = new KubernetesMockServer(false);
    server.init();
    server
        .expect()
        .patch()
        .withPath("/api/v1/namespaces/team-a/secrets/" + NAME)
        .andReturn(
            403,
            new StatusBuilder()
                .withStatus("Failure")
                .withCode(403)
                .withReason("Forbidden")
                .withMessage(
                    "secrets \"all-icr-io\" is forbidden: User \"system:serviceaccount:icr-injector:icr-injector\""
                        + " cannot update resource \"secrets\" in the namespace \"team-a\"")
                .build())
        .always();
    KubernetesClient client = server.createClient();
    Rotation r =
        rotation(
            client,
            secret("default", "Opaque", "20", false, "djI="),
            secret("team-a", "Opaque", "7", true, "djE="));
    List<LogRecord> logged = new CopyOnWriteArrayList<>();
    Handler capture =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            logged.add(record);
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    Logger logger = Logger.getLogger(Rotation.class.getName());
    logger.addHandler(capture);
    try {
      r.reconcile("team-a", NAME);
    } finally {
      logger.removeHandler(capture);
      client.close();
    }

    assertThat(logged)
        .filteredOn(l -> l.getLevel().intValue() >= Level.WARNING.intValue())
        .singleElement()
        .satisfies(
            l ->
                assertThat(((org.jboss.logmanager.ExtLogRecord) l).getFormattedMessage())
                    .contains("team-a", "RBAC", "ClusterRole"));
    assertThat(events)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.outcome()).isEqualTo(Outcome.FAILED);
              assertThat(e.detail())
                  .contains("forbidden by RBAC", "grant patch of secret all-icr-io");
            });
  }

  @Test
  void ourStaleCopyIsUpdatedAndAForeignOneIsNot() {
    server = new KubernetesMockServer(false);
    server.init();
    Secret updated = secret("team-a", "Opaque", "8", true, "djI=");
    server
        .expect()
        .patch()
        .withPath("/api/v1/namespaces/team-a/secrets/" + NAME)
        .andReturn(200, updated)
        .once();
    KubernetesClient client = server.createClient();
    Rotation r =
        rotation(
            client,
            secret("default", "Opaque", "20", false, "djI="),
            secret("team-a", "Opaque", "7", true, "djE="),
            secret("team-b", "Opaque", "3", false, "djE="));
    try {
      r.reconcile("team-a", NAME);
      r.reconcile("team-b", NAME);
    } finally {
      client.close();
    }
    assertThat(events)
        .as(events.toString())
        .extracting(SecretCopyEvent::outcome)
        .containsExactly(Outcome.UPDATED);
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  /**
   * Memory keeps a copy as a digest without its data (issue 20): a source whose data changed is still told apart
   * from it, and one whose data did not is not (no write at all).
   */
  @Test
  void aChangedSourceIsSeenAgainstADigestOnlyCopyAndAnUnchangedOneIsNot()
      throws InterruptedException {
    server = new KubernetesMockServer(false);
    server.init();
    server
        .expect()
        .patch()
        .withPath("/api/v1/namespaces/team-a/secrets/" + NAME)
        .andReturn(200, secret("team-a", "Opaque", "8", true, "djI="))
        .once();
    KubernetesClient client = server.createClient();
    SecretCache cache = new SecretCache(client, SETTINGS, new FakeScheduler());
    cache.learned(secret("default", "Opaque", "20", false, "djE="));
    cache.learned(secret("team-a", "Opaque", "7", true, "djE="));
    cache.learned(secret("team-b", "Opaque", "3", true, "djE="));
    assertThat(cache.get("team-a", NAME).getData()).as("a copy's data is not kept").isNull();
    Rotation r =
        new Rotation(
            cache, new CopyWriter(client, SETTINGS.sourceNamespace()), SETTINGS, events::add);
    try {
      r.reconcile("team-a", NAME); // same data as the source: nothing to do
      assertThat(server.getRequestCount()).isZero();

      cache.learned(secret("default", "Opaque", "21", false, "djI=")); // the source rotates
      r.reconcile("team-a", NAME);
    } finally {
      client.close();
    }
    assertThat(events).extracting(SecretCopyEvent::outcome).containsExactly(Outcome.UPDATED);
    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(server.getLastRequest().getBody().readUtf8())
        .contains("\"resourceVersion\":\"7\"", "djI=");
  }

  /**
   * The update is a merge patch on what memory keeps of the copy, which holds none of a user's labels: they stay,
   * and so does the rest of the copy; the source's data replaces the copy's, keys it no longer has included.
   */
  @Test
  void anUpdateKeepsAUsersLabelAndAnnotationAndDropsKeysTheSourceLost() {
    server = crudServer();
    KubernetesClient client = server.createClient();
    try {
      Secret stale =
          new SecretBuilder(secret("team-a", "Opaque", null, true, "djE="))
              .editMetadata()
              .addToLabels("team", "a")
              .addToAnnotations("note", "keep me")
              .addToAnnotations(Labels.SOURCE_VERSION_ANNOTATION, "20")
              .endMetadata()
              .addToData("old-key", "b2xk")
              .build();
      Secret created = client.secrets().inNamespace("team-a").resource(stale).create();
      SecretCache cache = new SecretCache(client, SETTINGS, new FakeScheduler());
      cache.learned(secret("default", "Opaque", "21", false, "bmV3"));
      cache.learned(created);
      CopyWriter writer = new CopyWriter(client, SETTINGS.sourceNamespace());
      assertThat(writer.patch(cache.get("team-a", NAME), cache.get("default", NAME)))
          .as("the key the source lost is removed")
          .contains("\"old-key\":null");
      Rotation r = new Rotation(cache, writer, SETTINGS, events::add);

      r.reconcile("team-a", NAME);

      Secret now = client.secrets().inNamespace("team-a").withName(NAME).get();
      // The mock keeps the explicit null where an API server removes the key (RFC 7386); only what
      // is set is checked.
      assertThat(now.getData()).containsEntry("k", "bmV3").doesNotContainEntry("old-key", "b2xk");
      assertThat(now.getMetadata().getLabels())
          .containsEntry("team", "a")
          .containsEntry(Labels.MANAGED_BY, Labels.MANAGER);
      assertThat(now.getMetadata().getAnnotations())
          .containsEntry("note", "keep me")
          .containsEntry(Labels.SOURCE_VERSION_ANNOTATION, "21")
          .containsEntry(Labels.SOURCE_ANNOTATION, "default/" + NAME);
      assertThat(events).extracting(SecretCopyEvent::outcome).containsExactly(Outcome.UPDATED);
    } finally {
      client.close();
    }
  }

  @Test
  void aPassIsOneRotatedOutcomeWithItsCounts() {
    server = new KubernetesMockServer(false);
    server.init();
    // Any method: whichever verb CopyWriter.update writes with (a PUT, or a merge patch).
    server
        .expect()
        .withPath("/api/v1/namespaces/team-a/secrets/" + NAME)
        .andReturn(200, secret("team-a", "Opaque", "8", true, "djI="))
        .once();
    server
        .expect()
        .withPath("/api/v1/namespaces/team-b/secrets/" + NAME)
        .andReturn(200, secret("team-b", "Opaque", "9", true, "djI="))
        .once();
    server
        .expect()
        .withPath("/api/v1/namespaces/team-c/secrets/" + NAME)
        .andReturn(
            409,
            new StatusBuilder().withStatus("Failure").withCode(409).withReason("Conflict").build())
        .once();
    server
        .expect()
        .withPath("/api/v1/namespaces/team-d/secrets/" + NAME)
        .andReturn(
            500,
            new StatusBuilder()
                .withStatus("Failure")
                .withCode(500)
                .withMessage("etcd down")
                .build())
        .once();
    // One request per update, as the replicator's client makes it (no client retry of the 500).
    KubernetesClient client = Clients.oneAttempt(server.createClient(), Duration.ofSeconds(2));
    Rotation r =
        rotation(
            client,
            secret("default", "Opaque", "20", false, "djI="),
            secret("team-a", "Opaque", "7", true, "djE="),
            secret("team-b", "Opaque", "3", true, "djE="),
            secret("team-c", "Opaque", "4", true, "djE="),
            secret("team-d", "Opaque", "5", true, "djE="),
            secret("team-e", "Opaque", "6", true, "djI="),
            secret("team-f", "Opaque", "2", false, "djE="));
    try {
      assertThat(r.pending()).isZero();
      r.pass(NAME);
    } finally {
      client.close();
    }

    assertThat(events)
        .filteredOn(e -> e.outcome() == Outcome.ROTATED)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.namespace()).isEqualTo("default");
              assertThat(e.secret()).isEqualTo(NAME);
              assertThat(e.detail())
                  .isEqualTo("updated 2, failed 1, skipped 1 (source version 20)");
            });
    assertThat(events)
        .filteredOn(e -> e.outcome() == Outcome.FAILED)
        .singleElement()
        .satisfies(e -> assertThat(e.namespace()).isEqualTo("team-d"));
    assertThat(r.pending()).as("team-c (conflict) and team-d (failed) still differ").isEqualTo(2);
  }

  @Test
  void aPassThatFindsEveryCopyInStepSaysNothing() {
    Rotation r =
        rotation(
            null,
            secret("default", "Opaque", "20", false, "djI="),
            secret("team-a", "Opaque", "7", true, "djI="));
    r.pass(NAME);
    assertThat(events).isEmpty();
  }

  @Test
  void aReplicaThatDoesNotLeadWritesNothingButCountsWhatIsPending() {
    server = new KubernetesMockServer(false);
    server.init();
    KubernetesClient client = server.createClient();
    java.util.concurrent.atomic.AtomicBoolean leads =
        new java.util.concurrent.atomic.AtomicBoolean();
    Secret source = secret("default", "Opaque", "20", false, "djI=");
    SecretCache cache = new SecretCache(client, SETTINGS, new FakeScheduler());
    cache.learned(source);
    for (int i = 0; i < 50; i++) {
      cache.learned(secret("team-" + i, "Opaque", String.valueOf(100 + i), true, "djE="));
    }
    Rotation r =
        new Rotation(
            cache,
            new CopyWriter(client, SETTINGS.sourceNamespace()),
            SETTINGS,
            events::add,
            leads::get);
    try {
      r.pass(NAME);
      assertThat(server.getRequestCount()).isZero();
      assertThat(events).isEmpty();
      assertThat(r.pending()).isEqualTo(50);

      // The leader's writes reach this replica through the watch: each copy in step leaves the
      // count.
      for (int i = 0; i < 20; i++) {
        cache.learned(secret("team-" + i, "Opaque", String.valueOf(200 + i), true, "djI="));
        r.reconcile("team-" + i, NAME);
      }
      assertThat(r.pending()).isEqualTo(30);
      assertThat(server.getRequestCount()).isZero();
    } finally {
      client.close();
    }
  }
}
