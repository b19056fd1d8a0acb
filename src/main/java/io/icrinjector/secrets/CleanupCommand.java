package io.icrinjector.secrets;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.icrinjector.config.IcrConfig;
import io.icrinjector.engine.RewriteRules;
import io.icrinjector.kube.KubeErrors;
import io.quarkus.runtime.QuarkusApplication;
import jakarta.inject.Inject;
import java.util.List;

/**
 * {@code java -jar quarkus-run.jar cleanup [--dry-run]}: deletes the copies of the pull secrets ({@link Cleanup});
 * {@code java -jar quarkus-run.jar unregister}: deletes the MutatingWebhookConfiguration
 * ({@code icr.webhook-configuration-name}), so that the API server stops calling the webhook before its Deployment
 * goes. The chart's pre-delete hook runs {@code unregister}, then {@code cleanup} when {@code cleanup.onUninstall}.
 * Exit code 0 on success, 1 when the API server refused (the message says what and why), 2 on a usage error.
 */
public class CleanupCommand implements QuarkusApplication {

  @Inject KubernetesClient client;

  @Inject RewriteRules rules;

  @Inject IcrConfig config;

  @Override
  public int run(String... args) {
    List<String> options = List.of(args).subList(1, args.length);
    boolean cleanup = args[0].equals("cleanup");
    if (!(cleanup ? List.of("--dry-run") : List.of()).containsAll(options)) {
      System.err.println(
          "unknown option in "
              + options
              + "\nusage: java -jar quarkus-run.jar cleanup [--dry-run] | java -jar quarkus-run.jar unregister");
      return 2;
    }
    try {
      if (cleanup) {
        new Cleanup(client, rules.secretNames(), config.sourceNamespace(), System.out)
            .run(options.contains("--dry-run"));
      } else {
        String name = config.webhookConfigurationName();
        boolean gone =
            !client
                .admissionRegistration()
                .v1()
                .mutatingWebhookConfigurations()
                .withName(name)
                .delete()
                .isEmpty();
        System.out.println(
            "unregister: MutatingWebhookConfiguration "
                + name
                + (gone
                    ? " deleted: the API server no longer calls the webhook"
                    : " was not there"));
      }
      return 0;
    } catch (RuntimeException e) {
      System.err.println(
          args[0]
              + " failed: "
              + KubeErrors.describe(e)
              + "\n(it uses the current kubeconfig context, or the in-cluster service account; the chart's hook account"
              + " may list and delete the pull secrets by name and delete the webhook registration)");
      return 1;
    }
  }
}
