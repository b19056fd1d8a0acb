package io.icrinjector.kube;

import io.fabric8.kubernetes.client.Config;
import io.quarkus.kubernetes.client.KubernetesConfigCustomizer;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Gives every request of the webhook's Kubernetes client the user agent {@code icr-injector/<version>} instead of
 * fabric8's generic one, so that an admin can tell its requests apart in the audit log and give them an API
 * Priority and Fairness FlowSchema of their own (deploy/components/flowschema matches the ServiceAccount; this makes
 * them visible by name too). Every client of the application (watches, copies, Events, the Lease) derives from the
 * one Quarkus configures, so this one customizer covers them all.
 */
@Singleton
public class UserAgent implements KubernetesConfigCustomizer {

  /** The product part of the user agent. */
  public static final String PRODUCT = "icr-injector";

  /** {@code icr-injector/<version>}, the version being {@code quarkus.application.version} (the pom's). */
  public static String value() {
    String version =
        ConfigProvider.getConfig()
            .getOptionalValue("quarkus.application.version", String.class)
            .orElse("unknown");
    return PRODUCT + "/" + version;
  }

  @Override
  public void customize(Config config) {
    config.setUserAgent(value());
  }
}
