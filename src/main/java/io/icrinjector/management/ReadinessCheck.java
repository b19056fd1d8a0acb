package io.icrinjector.management;

import io.icrinjector.config.IcrConfig;
import io.icrinjector.secrets.SecretReplicator;
import io.quarkus.tls.TlsConfigurationRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready means: the webhook's certificate is loaded (when one is configured) and the pull-secret view has synced,
 * so the first admissions do not copy secrets that already exist. Liveness has no checks of its own: a webhook
 * that answers HTTP is alive, whether or not the API server is reachable at the moment.
 */
@Readiness
@ApplicationScoped
public class ReadinessCheck implements HealthCheck {

  private final SecretReplicator replicator;
  private final TlsConfigurationRegistry tls;
  private final Optional<String> tlsName;
  private final IcrConfig config;

  /** CDI constructor. */
  public ReadinessCheck(
      SecretReplicator replicator,
      TlsConfigurationRegistry tls,
      IcrConfig config,
      @ConfigProperty(name = "quarkus.http.tls-configuration-name") Optional<String> tlsName) {
    this.replicator = replicator;
    this.tls = tls;
    this.tlsName = tlsName;
    this.config = config;
  }

  @Override
  public HealthCheckResponse call() {
    HealthCheckResponseBuilder b = HealthCheckResponse.named("icr-injector");
    boolean up = true;
    if (tlsName.isPresent()) {
      boolean loaded = tls.get(tlsName.get()).map(c -> c.getKeyStore() != null).orElse(false);
      b.withData(
          "tls", loaded ? "loaded" : "configuration " + tlsName.get() + " has no certificate");
      up = loaded;
    } else {
      b.withData("tls", "not configured (plain HTTP)");
    }
    if (config.secretCopy().enabled()) {
      boolean synced = replicator.synced();
      b.withData(
          "pullSecretView", synced ? "synced" : "waiting for the first list of pull secrets");
      up &= synced;
    } else {
      b.withData("pullSecretView", "copying disabled");
    }
    return b.status(up).build();
  }
}
