package io.icrinjector.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.icrinjector.kube.Labels;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What memory keeps of a secret and of a namespace (issue 20), and that the informers' stores keep only that. */
class SlimSecretTest {

  static final String NAME = "all-icr-io";

  static Secret whole(String namespace, Map<String, String> data) {
    return new SecretBuilder()
        .withNewMetadata()
        .withName(NAME)
        .withNamespace(namespace)
        .withUid(namespace + "-uid")
        .withResourceVersion("42")
        .addToLabels(Labels.MANAGED_BY, Labels.MANAGER)
        .addToLabels("team", "a")
        .addToAnnotations(Labels.SOURCE_ANNOTATION, "default/" + NAME)
        .addToAnnotations(Labels.SOURCE_VERSION_ANNOTATION, "7")
        .addToAnnotations(
            "kubectl.kubernetes.io/last-applied-configuration",
            "{\"a\":\"" + "x".repeat(2000) + "\"}")
        .addToManagedFields(
            new ManagedFieldsEntryBuilder()
                .withManager("icr-injector")
                .withOperation("Update")
                .build())
        .addToFinalizers("example.com/hold")
        .endMetadata()
        .withType("kubernetes.io/dockerconfigjson")
        .withData(data)
        .build();
  }

  @Test
  void aCopyKeepsIdentityTypeOwnershipOurAnnotationsAndADigestInsteadOfItsData() {
    Secret slim =
        SlimSecret.of(
            whole("team-a", Map.of(".dockerconfigjson", "e30=", "extra", "eA==")), "default");

    assertThat(slim.getMetadata().getName()).isEqualTo(NAME);
    assertThat(slim.getMetadata().getNamespace()).isEqualTo("team-a");
    assertThat(slim.getMetadata().getUid()).isEqualTo("team-a-uid");
    assertThat(slim.getMetadata().getResourceVersion()).isEqualTo("42");
    assertThat(slim.getType()).isEqualTo("kubernetes.io/dockerconfigjson");
    assertThat(slim.getMetadata().getLabels()).isEqualTo(Map.of(Labels.MANAGED_BY, Labels.MANAGER));
    assertThat(Labels.isOurs(slim)).isTrue();
    assertThat(slim.getMetadata().getAnnotations())
        .isEqualTo(
            Map.of(
                Labels.SOURCE_ANNOTATION,
                "default/" + NAME,
                Labels.SOURCE_VERSION_ANNOTATION,
                "7"));
    assertThat(slim.getMetadata().getManagedFields()).isNullOrEmpty();
    assertThat(slim.getMetadata().getFinalizers()).isNullOrEmpty();
    assertThat(slim.getData()).isNull();
    assertThat(SlimSecret.dataKeys(slim)).containsExactly(".dockerconfigjson", "extra");
    assertThat(SlimSecret.of(slim, "default"))
        .as("slimming a slim secret changes nothing")
        .isSameAs(slim);
  }

  @Test
  void theSourceKeepsItsDataSinceCopiesAreMadeFromIt() {
    Secret slim = SlimSecret.of(whole("default", Map.of(".dockerconfigjson", "e30=")), "default");
    assertThat(slim.getData()).isEqualTo(Map.of(".dockerconfigjson", "e30="));
    assertThat(slim.getMetadata().getManagedFields()).isNullOrEmpty();
    assertThat(slim.getMetadata().getAnnotations())
        .doesNotContainKey("kubectl.kubernetes.io/last-applied-configuration");
  }

  @Test
  void contentIsComparedByDigestBetweenWholeAndSlimSecrets() {
    Secret source = whole("default", Map.of("k", "djE="));
    Secret copy = SlimSecret.of(whole("team-a", Map.of("k", "djE=")), "default");
    Secret stale = SlimSecret.of(whole("team-a", Map.of("k", "djA=")), "default");
    Secret moreKeys = SlimSecret.of(whole("team-a", Map.of("k", "djE=", "k2", "")), "default");
    Secret otherType =
        SlimSecret.of(
            new SecretBuilder(whole("team-a", Map.of("k", "djE="))).withType("Opaque").build(),
            "default");

    assertThat(SecretView.sameContent(source, copy)).isTrue();
    assertThat(SecretView.sameContent(SlimSecret.of(source, "default"), copy)).isTrue();
    assertThat(SecretView.sameContent(source, stale)).isFalse();
    assertThat(SecretView.sameContent(source, moreKeys)).isFalse();
    assertThat(SecretView.sameContent(source, otherType)).isFalse();
  }

  @Test
  void aUsersAnnotationCannotPassForTheDigest() {
    Secret forged =
        new SecretBuilder(whole("team-a", Map.of()))
            .editMetadata()
            .addToAnnotations(
                "icr-injector.io/digest", SlimSecret.digest(whole("default", Map.of("k", "djE="))))
            .endMetadata()
            .build();
    assertThat(
            SecretView.sameContent(
                whole("default", Map.of("k", "djE=")), SlimSecret.of(forged, "default")))
        .isFalse();
  }

  @Test
  void aNamespaceIsKeptAsItsNameVersionAndOptInLabel() {
    Namespace ns =
        new NamespaceBuilder()
            .withNewMetadata()
            .withName("team-a")
            .withResourceVersion("9")
            .addToLabels(Labels.INJECT, Labels.INJECT_ENABLED)
            .addToLabels("owner", "x")
            .addToAnnotations("a", "b")
            .addToManagedFields(new ManagedFieldsEntryBuilder().withManager("kubectl").build())
            .endMetadata()
            .withNewSpec()
            .addToFinalizers("kubernetes")
            .endSpec()
            .withNewStatus()
            .withPhase("Active")
            .endStatus()
            .build();
    Namespace slim = OptedInNamespaces.slim(ns);
    assertThat(slim.getMetadata().getName()).isEqualTo("team-a");
    assertThat(slim.getMetadata().getResourceVersion()).isEqualTo("9");
    assertThat(slim.getMetadata().getLabels())
        .isEqualTo(Map.of(Labels.INJECT, Labels.INJECT_ENABLED));
    assertThat(slim.getMetadata().getAnnotations()).isNullOrEmpty();
    assertThat(slim.getMetadata().getManagedFields()).isNullOrEmpty();
    assertThat(slim.getSpec()).isNull();
    assertThat(slim.getStatus()).isNull();
    assertThat(OptedInNamespaces.slim(slim)).isEqualTo(slim);
  }

  /**
   * Through a real informer (the mock's CRUD API server): its store, and what the cache answers from it and from the
   * view after an add and after an update (whose old object is the store's), hold slim secrets only; the source's
   * change still reaches the listener.
   */
  @Test
  void theInformersStoreAndTheViewHoldSlimSecretsOnly() {
    KubernetesMockServer server = RotationTest.crudServer();
    KubernetesClient client = server.createClient();
    CopySettings settings =
        new CopySettings(
            true,
            "default",
            List.of(NAME),
            Set.of(),
            Duration.ofSeconds(2),
            Duration.ofSeconds(1),
            Duration.ofMinutes(5));
    SecretCache cache = new SecretCache(client, settings, new FakeSchedulerRunningNow());
    List<String> sourceChanges = new java.util.concurrent.CopyOnWriteArrayList<>();
    try {
      client
          .secrets()
          .inNamespace("default")
          .resource(strip(whole("default", Map.of("k", "djE="))))
          .create();
      client
          .secrets()
          .inNamespace("team-a")
          .resource(strip(whole("team-a", Map.of("k", "djE="))))
          .create();
      cache.start(
          new SecretCache.Listener() {
            @Override
            public void sourceChanged(String name) {
              sourceChanges.add(name);
            }

            @Override
            public void copyChanged(Secret secret) {}
          });
      await().atMost(Duration.ofSeconds(20)).until(cache::synced);
      await().atMost(Duration.ofSeconds(20)).until(() -> cache.get("team-a", NAME) != null);
      int changesBefore = sourceChanges.size();

      client
          .secrets()
          .inNamespace("default")
          .withName(NAME)
          .edit(s -> new SecretBuilder(s).withData(Map.of("k", "djI=")).build());
      client
          .secrets()
          .inNamespace("team-a")
          .withName(NAME)
          .edit(
              s ->
                  new SecretBuilder(s)
                      .editMetadata()
                      .addToLabels("team", "b")
                      .endMetadata()
                      .build());
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () ->
                  sourceChanges.size() > changesBefore
                      && "djI=".equals(cache.get("default", NAME).getData().get("k"))
                      && !"42"
                          .equals(cache.get("team-a", NAME).getMetadata().getResourceVersion()));

      assertThat(cache.all(NAME).values())
          .hasSize(2)
          .allSatisfy(
              s -> {
                assertThat(s).isInstanceOf(SlimSecret.class);
                assertThat(s.getMetadata().getLabels()).doesNotContainKey("team");
              });
      assertThat(cache.get("team-a", NAME)).isInstanceOf(SlimSecret.class);
      assertThat(cache.get("team-a", NAME).getData()).isNull();
      assertThat(SecretView.sameContent(cache.get("default", NAME), cache.get("team-a", NAME)))
          .isFalse();
    } finally {
      cache.close();
      client.close();
      server.destroy();
    }
  }

  private static Secret strip(Secret s) {
    return new SecretBuilder(s)
        .editMetadata()
        .withResourceVersion(null)
        .withUid(null)
        .withManagedFields()
        .withFinalizers()
        .endMetadata()
        .build();
  }

  /** Runs what is executed at once, on the caller's thread; drops what is scheduled for later. */
  private static final class FakeSchedulerRunningNow implements Scheduler {
    @Override
    public void execute(Runnable task) {
      task.run();
    }

    @Override
    public java.util.concurrent.Future<?> schedule(Runnable task, Duration delay) {
      return java.util.concurrent.CompletableFuture.completedFuture(null);
    }

    @Override
    public long nanoTime() {
      return System.nanoTime();
    }
  }
}
