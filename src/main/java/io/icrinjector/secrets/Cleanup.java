package io.icrinjector.secrets;

import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.icrinjector.kube.KubeErrors;
import io.icrinjector.kube.Labels;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/**
 * What {@code java -jar quarkus-run.jar cleanup} does after an uninstall: deletes every copy icr-injector made of the
 * pull secrets, and nothing else.
 *
 * <p>A copy is a secret named like a pull-secret rule's secret, carrying our label ({@link Labels#MANAGED_BY}) and
 * the annotation naming its source, outside the source namespace. A user's secret of the same name has neither, and
 * the source itself lives in the source namespace: both are left alone. Copies are found with one paged, cluster-wide
 * list per secret name, selected by name and label (the webhook's RBAC style: {@code list} with a
 * {@code metadata.name} field selector is authorised against {@code resourceNames}), so the heap holds one page and the
 * hook's ClusterRole names the secrets it may delete. Each delete is conditional on the resourceVersion just read: a
 * secret changed in between (say, taken over by a user) is left and counted.
 */
public final class Cleanup {

  /** Secrets per page of the list. */
  static final long PAGE = 500;

  private final KubernetesClient client;
  private final List<String> names;
  private final String sourceNamespace;
  private final PrintStream out;

  /**
   * @param names the secret names the rules attach ({@code RewriteRules.secretNames()})
   * @param sourceNamespace where the sources live: never cleaned
   * @param out where the progress lines and the final count go
   */
  public Cleanup(
      KubernetesClient client, List<String> names, String sourceNamespace, PrintStream out) {
    this.client = client;
    this.names = List.copyOf(names);
    this.sourceNamespace = sourceNamespace;
    this.out = out;
  }

  /**
   * What a run did: copies deleted (or, in a dry run, that would be), and labelled secrets left because they are not
   * copies (in the source namespace, or without the source annotation) or changed while the run read them.
   */
  public record Result(int deleted, int left) {}

  /**
   * Deletes (or with {@code dryRun} only lists) every copy; prints a line per page and a final count.
   *
   * @throws RuntimeException what the API server refused (fabric8's exception): the run stops there
   */
  public Result run(boolean dryRun) {
    int deleted = 0;
    int left = 0;
    String verb = dryRun ? "would delete" : "deleted";
    for (String name : names) {
      String next = null;
      int page = 0;
      do {
        SecretList list =
            client
                .secrets()
                .inAnyNamespace()
                .list(
                    new ListOptionsBuilder()
                        .withLimit(PAGE)
                        .withContinue(next)
                        .withFieldSelector("metadata.name=" + name)
                        .withLabelSelector(Labels.MANAGED_BY + "=" + Labels.MANAGER)
                        .build());
        page++;
        for (Secret secret : list.getItems()) {
          if (!isCopy(secret)) {
            left++;
            out.println(
                "cleanup: left "
                    + where(secret)
                    + ": labelled as ours but "
                    + (sourceNamespace.equals(secret.getMetadata().getNamespace())
                        ? "in the source namespace"
                        : "without the " + Labels.SOURCE_ANNOTATION + " annotation"));
          } else if (dryRun || delete(secret)) {
            deleted++;
          } else {
            left++;
            out.println(
                "cleanup: left "
                    + where(secret)
                    + ": it changed or went since it was read (run cleanup again)");
          }
        }
        out.printf(
            "cleanup: %s: page %d, %d namespaces, %s %d copies so far%n",
            name, page, list.getItems().size(), verb, deleted);
        next = list.getMetadata() == null ? null : list.getMetadata().getContinue();
      } while (next != null && !next.isEmpty());
    }
    out.printf(
        "cleanup: %s %d copies of %s; %d labelled secrets left%n",
        verb, deleted, String.join(", ", names), left);
    return new Result(deleted, left);
  }

  /** Ours, with its source named, and not in the source namespace. */
  boolean isCopy(Secret secret) {
    Map<String, String> annotations = secret.getMetadata().getAnnotations();
    return Labels.isOurs(secret)
        && !sourceNamespace.equals(secret.getMetadata().getNamespace())
        && annotations != null
        && annotations.containsKey(Labels.SOURCE_ANNOTATION);
  }

  /** Deletes the secret as read; false when it changed or went meanwhile (409, or nothing deleted). */
  private boolean delete(Secret secret) {
    try {
      return !client
          .secrets()
          .inNamespace(secret.getMetadata().getNamespace())
          .withName(secret.getMetadata().getName())
          .lockResourceVersion(secret.getMetadata().getResourceVersion())
          .delete()
          .isEmpty();
    } catch (RuntimeException e) {
      if (KubeErrors.code(e) == 409) {
        return false;
      }
      throw e;
    }
  }

  private static String where(Secret secret) {
    return secret.getMetadata().getNamespace() + "/" + secret.getMetadata().getName();
  }
}
