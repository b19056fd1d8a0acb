package io.icrinjector.secrets;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.Objects;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * The event handler of one of the {@link SecretCache}'s informers (one per secret name): feeds the cache's
 * {@link SecretView} with what the watch sees, slim (see {@link SlimSecret}), and passes changes on to the cache's
 * {@link SecretCache.Listener}. Called on the informer's thread, so quick.
 */
final class SecretWatchHandler implements ResourceEventHandler<Secret> {

  /** The cache's category: one watch, one name to filter its logs by. */
  private static final Logger LOG = Logger.getLogger(SecretCache.class);

  private final String name;
  private final SharedIndexInformer<Secret> informer;
  private final SecretView view;
  private final String sourceNamespace;
  private final Supplier<SecretCache.Listener> listener;

  /**
   * @param name the secret name the informer watches
   * @param informer the informer whose events this handles (its store holds the slim objects)
   * @param view what the cache answers from
   * @param sourceNamespace where the source secrets live
   * @param listener the cache's listener at the time of each event; null until the cache starts
   */
  SecretWatchHandler(
      String name,
      SharedIndexInformer<Secret> informer,
      SecretView view,
      String sourceNamespace,
      Supplier<SecretCache.Listener> listener) {
    this.name = name;
    this.informer = informer;
    this.view = view;
    this.sourceNamespace = sourceNamespace;
    this.listener = listener;
  }

  @Override
  public void onAdd(Secret secret) {
    changed(null, secret);
  }

  @Override
  public void onUpdate(Secret old, Secret secret) {
    changed(old, secret);
  }

  @Override
  public void onDelete(Secret secret, boolean finalStateUnknown) {
    if (!name.equals(secret.getMetadata().getName())) {
      return;
    }
    view.observedDeleted(secret);
    if (sourceNamespace.equals(secret.getMetadata().getNamespace())) {
      // Copies stay: `ibmcloud ks cluster pull-secret apply` and similar tools delete and recreate
      // the source, and removing every copy meanwhile would break image pulls cluster-wide. The
      // recreated source rotates them as usual.
      LOG.infof(
          "source secret %s/%s was deleted; its copies are left in place", sourceNamespace, name);
    }
  }

  private void changed(Secret old, Secret secret) {
    // Guards against an API server (or mock) that ignores the field selector.
    if (!name.equals(secret.getMetadata().getName())) {
      return;
    }
    Secret kept = kept(secret);
    view.observed(kept);
    SecretCache.Listener l = listener.get();
    if (l == null) {
      return;
    }
    if (!sourceNamespace.equals(secret.getMetadata().getNamespace())) {
      l.copyChanged(kept);
    } else if (old == null || !SecretView.sameContent(old, kept)) {
      l.sourceChanged(name);
    }
  }

  /**
   * What the view keeps of {@code secret}, which the watch hands over whole: the store's slim object when it is the
   * same version (so view and store share one), else a slim one of its own.
   */
  private Secret kept(Secret secret) {
    Secret stored = informer.getStore().getByKey(Cache.metaNamespaceKeyFunc(secret));
    if (stored instanceof SlimSecret
        && Objects.equals(
            stored.getMetadata().getResourceVersion(), secret.getMetadata().getResourceVersion())) {
      return stored;
    }
    return SlimSecret.of(secret, sourceNamespace);
  }
}
