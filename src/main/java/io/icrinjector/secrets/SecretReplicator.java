package io.icrinjector.secrets;

import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/** Placeholder until the replicator lands (issue 3): attaches nothing and copies nothing. */
@ApplicationScoped
public class SecretReplicator implements PullSecretCopier {

  @Override
  public Uni<List<String>> ensure(String namespace, List<String> secrets, boolean dryRun) {
    return Uni.createFrom().item(List.of());
  }

  @Override
  public List<String> missing(String namespace, List<String> secrets) {
    return List.of();
  }
}
