package io.icrinjector.engine;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Decides, for one {@code AdmissionReview.request}, which images move to which host and which pull secrets the
 * pod needs. Pure: no I/O, no Kubernetes client, no state beyond the immutable {@link RewriteRules}.
 */
public final class MutationEngine {

  /** Pod label that opts a pod out. */
  public static final String SKIP_LABEL = "icr-injector.io/skip";

  /** Annotation the kubelet puts on mirror pods of static pods; the API server refuses changes to those. */
  public static final String MIRROR_ANNOTATION = "kubernetes.io/config.mirror";

  private static final String[] CONTAINER_LISTS = {
    "initContainers", "containers", "ephemeralContainers"
  };
  private static final String[] EPHEMERAL_ONLY = {"ephemeralContainers"};

  private final RewriteRules rules;

  /** @param rules the validated rule set */
  public MutationEngine(RewriteRules rules) {
    this.rules = rules;
  }

  /**
   * Decides what to do with one request.
   *
   * @param request the {@code request} member of an admission.k8s.io/v1 AdmissionReview
   * @throws MalformedReviewException when a field the decision depends on has the wrong shape
   */
  public Decision decide(JsonNode request) {
    JsonNode kind = request.path("kind");
    if (!kind.isObject()) {
      throw new MalformedReviewException("request.kind is missing or not an object");
    }
    if (!"Pod".equals(kind.path("kind").asText()) || !kind.path("group").asText("").isEmpty()) {
      return Decision.skipped(
          "kind "
              + kind.path("group").asText("")
              + "/"
              + kind.path("kind").asText()
              + " is not a Pod");
    }
    String operation = request.path("operation").asText("");
    String subResource = request.path("subResource").asText("");
    boolean ephemeralUpdate =
        "UPDATE".equals(operation) && "ephemeralcontainers".equals(subResource);
    if (!ephemeralUpdate && !("CREATE".equals(operation) && subResource.isEmpty())) {
      return Decision.skipped(
          "operation "
              + operation
              + (subResource.isEmpty() ? "" : " on " + subResource)
              + " is not a pod create");
    }
    JsonNode pod = request.get("object");
    if (pod == null || !pod.isObject()) {
      throw new MalformedReviewException("request.object is missing or not an object");
    }
    JsonNode metadata = pod.path("metadata");
    if (metadata.path("annotations").has(MIRROR_ANNOTATION)) {
      return Decision.skipped("mirror pod");
    }
    if ("true".equals(metadata.path("labels").path(SKIP_LABEL).asText())) {
      return Decision.skipped("label " + SKIP_LABEL + "=true");
    }
    JsonNode spec = pod.get("spec");
    if (spec == null || !spec.isObject()) {
      throw new MalformedReviewException("request.object.spec is missing or not an object");
    }

    Set<String> existingEphemeral =
        ephemeralUpdate ? ephemeralNames(request.path("oldObject")) : Set.of();
    List<ImageChange> changes = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    Set<String> needed = new LinkedHashSet<>();
    for (String listName : ephemeralUpdate ? EPHEMERAL_ONLY : CONTAINER_LISTS) {
      JsonNode list = spec.get(listName);
      if (list == null || list.isNull()) {
        continue;
      }
      if (!list.isArray()) {
        throw new MalformedReviewException("request.object.spec." + listName + " is not a list");
      }
      for (int i = 0; i < list.size(); i++) {
        JsonNode container = list.get(i);
        if (!container.isObject()) {
          throw new MalformedReviewException(
              "request.object.spec." + listName + "[" + i + "] is not an object");
        }
        String name = container.path("name").asText("");
        // An ephemeral container cannot change once added: touching an old one would make the API
        // server
        // refuse the whole update, so only the ones this request adds are looked at.
        if (ephemeralUpdate && existingEphemeral.contains(name)) {
          continue;
        }
        JsonNode image = container.get("image");
        if (image == null || !image.isTextual()) {
          continue; // validation after admission reports a missing image; it is not ours to judge
        }
        String pointer = "/spec/" + listName + "/" + i + "/image";
        decideImage(image.asText(), pointer, name, changes, warnings, needed);
      }
    }

    JsonNode pullSecrets = spec.get("imagePullSecrets");
    boolean listExists = pullSecrets != null && !pullSecrets.isNull();
    if (listExists && !pullSecrets.isArray()) {
      throw new MalformedReviewException("request.object.spec.imagePullSecrets is not a list");
    }
    Set<String> present = new HashSet<>();
    if (listExists) {
      for (JsonNode ref : pullSecrets) {
        present.add(ref.path("name").asText(""));
      }
    }
    List<String> toAttach = new ArrayList<>();
    List<String> secretsNeeded = new ArrayList<>();
    for (String secret : needed) {
      if (!present.contains(secret)) {
        if (ephemeralUpdate) {
          continue; // the subresource may only change ephemeral containers; the pod keeps its
          // secrets as they are
        }
        toAttach.add(secret);
      }
      secretsNeeded.add(secret);
    }
    return new Decision(null, changes, secretsNeeded, toAttach, listExists, warnings);
  }

  /**
   * What the rewrite table says about one image, outside any admission (the migration report uses it).
   *
   * @return the rewritten image; the image itself when it is on a deprecated host that is left alone (unknown
   *     region, another port, not a valid reference); {@code null} when the image is not on a deprecated host
   */
  public String replacementOf(String image) {
    Verdict v = classify(image);
    return v.rewritten() != null ? v.rewritten() : v.problem() != null ? image : null;
  }

  /** Records the rewrite of one image, if any, and the pull secrets its final form needs. */
  private void decideImage(
      String raw,
      String pointer,
      String container,
      List<ImageChange> changes,
      List<String> warnings,
      Set<String> needed) {
    Verdict v = classify(raw);
    if (v.problem() != null) {
      warnings.add("container " + container + ": " + v.problem());
    }
    if (v.ref() == null) {
      return;
    }
    String host = v.ref().registryHost();
    if (v.rewritten() != null) {
      changes.add(new ImageChange(pointer, container, raw, v.rewritten(), host, v.target()));
      host = v.target();
    }
    collectSecrets(host, v.ref().path(), needed);
  }

  /**
   * The one place that applies the rewrite table to an image string.
   *
   * @param ref the parsed reference, {@code null} when the string is not a valid reference
   * @param rewritten the image on its replacement host, or {@code null} when it stays as it is
   * @param target the replacement host, or {@code null}
   * @param problem why an image on a deprecated host is left alone, or {@code null}
   */
  private record Verdict(ImageReference ref, String rewritten, String target, String problem) {}

  private Verdict classify(String raw) {
    ImageReference ref;
    try {
      ref = ImageReference.parse(raw);
    } catch (IllegalArgumentException e) {
      String host = leadingHost(raw);
      return new Verdict(
          null,
          null,
          null,
          RewriteRules.isDeprecatedIbmHost(host)
              ? "image on " + host + " left unchanged: " + e.getMessage()
              : null);
    }
    String host = ref.registryHost();
    String target = rules.replacementFor(host);
    if (target != null && ref.hasDefaultHttpsPort()) {
      return new Verdict(ref, ref.withHost(target), target, null);
    }
    String problem =
        target != null
            ? host + ":" + ref.port() + " left unchanged (only the default port is rewritten)"
            : RewriteRules.isDeprecatedIbmHost(host)
                ? "unknown deprecated host " + host + " left unchanged; add it to icr.rewrites"
                : null;
    return new Verdict(ref, null, null, problem);
  }

  private void collectSecrets(String host, String path, Set<String> needed) {
    for (PullSecretRule rule : rules.pullSecretRules()) {
      if (rule.matches(host, path)) {
        needed.add(rule.secret());
      }
    }
  }

  private static Set<String> ephemeralNames(JsonNode oldPod) {
    Set<String> names = new HashSet<>();
    for (JsonNode c : oldPod.path("spec").path("ephemeralContainers")) {
      names.add(c.path("name").asText(""));
    }
    return names;
  }

  private static String leadingHost(String raw) {
    int slash = raw.indexOf('/');
    String first = (slash < 0 ? raw : raw.substring(0, slash)).toLowerCase(java.util.Locale.ROOT);
    int colon = first.indexOf(':');
    return colon < 0 ? first : first.substring(0, colon);
  }
}
