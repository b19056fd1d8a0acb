package io.icrinjector.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.icrinjector.kube.KubeErrors;
import io.icrinjector.kube.Labels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The cleanup command's work ({@link Cleanup}) on the fabric8 mock API server in CRUD mode: copies go, the source, a
 * user's secret of the same name and other secrets stay, and a refusal of the API server stops the run with the cause.
 */
@EnableKubernetesMockClient(crud = true)
class CleanupTest {

  static final String NAME = "all-icr-io";

  KubernetesMockServer server;
  KubernetesClient client;

  final ByteArrayOutputStream printed = new ByteArrayOutputStream();

  Cleanup cleanup() {
    return new Cleanup(
        client,
        List.of(NAME, "other-pull"),
        "default",
        new PrintStream(printed, true, StandardCharsets.UTF_8));
  }

  @Test
  void deletesEveryCopyAndLeavesTheSourceAUsersSecretAndOtherSecrets() {
    secret("default", NAME, false, false); // the source
    for (int i = 0; i < 7; i++) {
      secret("team-" + i, NAME, true, true); // copies
    }
    secret("team-0", "other-pull", true, true); // a copy of a second rule's secret
    secret("mine", NAME, false, false); // a user's own secret of the same name
    secret("team-1", "unrelated", true, true); // labelled by someone, but no rule's name
    secret("odd", NAME, true, false); // labelled, but no source annotation: not a copy we made

    Cleanup.Result result = cleanup().run(false);

    assertThat(result.deleted()).isEqualTo(8);
    assertThat(result.left()).isEqualTo(1);
    assertThat(client.secrets().inAnyNamespace().list().getItems())
        .extracting(CleanupTest::where)
        .containsExactlyInAnyOrder(
            "default/" + NAME, "mine/" + NAME, "team-1/unrelated", "odd/" + NAME);
    String out = printed.toString(StandardCharsets.UTF_8);
    assertThat(out)
        .contains("cleanup: all-icr-io: page 1, 8 namespaces, deleted 7 copies so far")
        .contains(
            "cleanup: left odd/all-icr-io: labelled as ours but without the icr-injector.io/source annotation")
        .endsWith("cleanup: deleted 8 copies of all-icr-io, other-pull; 1 labelled secrets left\n");
  }

  @Test
  void aDryRunDeletesNothingAndCountsWhatItWould() {
    secret("default", NAME, false, false);
    secret("team-a", NAME, true, true);
    secret("team-b", NAME, true, true);

    assertThat(cleanup().run(true)).isEqualTo(new Cleanup.Result(2, 0));
    assertThat(client.secrets().inAnyNamespace().list().getItems()).hasSize(3);
    assertThat(printed.toString(StandardCharsets.UTF_8))
        .contains("would delete 2 copies of all-icr-io");
  }

  @Test
  void aLabelledSecretInTheSourceNamespaceIsNeverDeleted() {
    secret(
        "default", NAME, true,
        true); // whatever its labels say, the source namespace is not cleaned

    assertThat(cleanup().run(false)).isEqualTo(new Cleanup.Result(0, 1));
    assertThat(client.secrets().inNamespace("default").withName(NAME).get()).isNotNull();
  }

  @Test
  void aRefusedDeleteStopsTheRunWithTheApiServersMessage() {
    secret("team-a", NAME, true, true);
    server
        .expect()
        .delete()
        .withPath("/api/v1/namespaces/team-a/secrets/" + NAME)
        .andReturn(
            403,
            new StatusBuilder()
                .withStatus("Failure")
                .withCode(403)
                .withReason("Forbidden")
                .withMessage(
                    "secrets \"all-icr-io\" is forbidden: User \"system:serviceaccount:icr-injector:cleanup\""
                        + " cannot delete resource \"secrets\"")
                .build())
        .once();

    assertThatThrownBy(() -> cleanup().run(false))
        .satisfies(
            e ->
                assertThat(KubeErrors.describe(e))
                    .startsWith("HTTP 403: secrets \"all-icr-io\" is forbidden"));
    assertThat(client.secrets().inNamespace("team-a").withName(NAME).get()).isNotNull();
  }

  void secret(String namespace, String name, boolean labelled, boolean annotated) {
    if (client.namespaces().withName(namespace).get() == null) {
      client
          .namespaces()
          .resource(
              new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
          .create();
    }
    Secret s =
        new SecretBuilder()
            .withNewMetadata()
            .withNamespace(namespace)
            .withName(name)
            .withLabels(labelled ? Map.of(Labels.MANAGED_BY, Labels.MANAGER) : Map.of())
            .withAnnotations(
                annotated ? Map.of(Labels.SOURCE_ANNOTATION, "default/" + name) : Map.of())
            .endMetadata()
            .withType("kubernetes.io/dockerconfigjson")
            .withData(Map.of(".dockerconfigjson", "e30="))
            .build();
    client.secrets().inNamespace(namespace).resource(s).create();
  }

  static String where(Secret s) {
    return s.getMetadata().getNamespace() + "/" + s.getMetadata().getName();
  }
}
