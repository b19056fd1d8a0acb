package io.icrinjector.secrets;

import io.fabric8.kubernetes.api.model.Secret;

/**
 * What a change the {@link SecretCache}'s watch sees sets off in the {@link SecretReplicator}: the copy jobs it
 * concerns run now rather than at their next retry, the delivery itself says the API server answers again (every
 * job waiting out a back-off runs now, {@link CopyJobs#recovered}), and {@link Rotation} reconciles the copies it
 * concerns. Called on the informer's thread: each of these only hands work over.
 *
 * @param jobs the copies not yet made
 * @param rotation the copies kept in step with their source
 */
record WatchReactions(CopyJobs jobs, Rotation rotation) implements SecretCache.Listener {

  @Override
  public void sourceChanged(String name) {
    jobs.kickAll(name);
    jobs.recovered();
    rotation.all(name);
  }

  @Override
  public void copyChanged(Secret secret) {
    jobs.kick(secret.getMetadata().getNamespace(), secret.getMetadata().getName());
    jobs.recovered();
    rotation.one(secret.getMetadata().getNamespace(), secret.getMetadata().getName());
  }
}
