package io.icrinjector.secrets;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.icrinjector.config.IcrConfig;
import io.icrinjector.engine.RewriteRules;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code cleanup} and {@code unregister} as a person runs them: what they print, and their exit codes (0 done, 1 the
 * API server refused, with its message, 2 a usage error), on the fabric8 mock API server.
 */
@EnableKubernetesMockClient(crud = true)
class CleanupCommandTest {

  KubernetesMockServer server;
  KubernetesClient client;

  @Test
  void unregisterDeletesTheWebhookConfigurationAndSaysSo() {
    client
        .admissionRegistration()
        .v1()
        .mutatingWebhookConfigurations()
        .resource(
            new MutatingWebhookConfigurationBuilder()
                .withNewMetadata()
                .withName("icr-injector")
                .endMetadata()
                .build())
        .create();

    Run run = run("unregister");
    assertThat(run.code).isZero();
    assertThat(run.out).contains("MutatingWebhookConfiguration icr-injector deleted");
    assertThat(
            client
                .admissionRegistration()
                .v1()
                .mutatingWebhookConfigurations()
                .withName("icr-injector")
                .get())
        .isNull();
    assertThat(run("unregister").out)
        .contains("MutatingWebhookConfiguration icr-injector was not there");
  }

  @Test
  void aRefusalExitsWithOneAndTheApiServersMessage() {
    server
        .expect()
        .get()
        .withPath(
            "/api/v1/secrets?fieldSelector=metadata.name%3Dall-icr-io"
                + "&labelSelector=app.kubernetes.io%2Fmanaged-by%3Dicr-injector&limit=500")
        .andReturn(
            403,
            new StatusBuilder()
                .withStatus("Failure")
                .withCode(403)
                .withReason("Forbidden")
                .withMessage(
                    "secrets is forbidden: User \"alice\" cannot list resource \"secrets\"")
                .build())
        .once();

    Run run = run("cleanup");
    assertThat(run.code).isEqualTo(1);
    assertThat(run.err)
        .startsWith("cleanup failed: HTTP 403: secrets is forbidden: User \"alice\" cannot list");
  }

  @Test
  void anUnknownOptionIsAUsageError() {
    Run run = run("cleanup", "--force");
    assertThat(run.code).isEqualTo(2);
    assertThat(run.err)
        .contains(
            "unknown option in [--force]", "usage: java -jar quarkus-run.jar cleanup [--dry-run]");
  }

  record Run(int code, String out, String err) {}

  Run run(String... args) {
    CleanupCommand command = new CleanupCommand();
    command.client = client;
    command.rules =
        RewriteRules.of(List.of("registry.ng.bluemix.net=us.icr.io"), List.of("icr.io=all-icr-io"));
    command.config =
        (IcrConfig)
            Proxy.newProxyInstance(
                IcrConfig.class.getClassLoader(),
                new Class<?>[] {IcrConfig.class},
                (proxy, method, a) ->
                    switch (method.getName()) {
                      case "sourceNamespace" -> "default";
                      case "webhookConfigurationName" -> "icr-injector";
                      default -> throw new UnsupportedOperationException(method.getName());
                    });
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
      int code = command.run(args);
      return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }
}
