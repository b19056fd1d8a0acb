package io.icrinjector.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;

/**
 * The three pod-create AdmissionReviews of the benchmark, generated deterministically (same bytes every run) in the
 * compact form the API server sends. Every image is on {@code registry.ng.bluemix.net}, so each review takes the
 * rewrite path; the pods live in {@link #NAMESPACE}, whose pull secret the fake API server reports as present.
 */
public final class PodReviews {

  /** Namespace of every benchmark pod. */
  public static final String NAMESPACE = "icr-bench";

  /** The three sizes. */
  public enum Size {
    /** About 2 KB: one container. */
    SMALL,
    /** About 7 KB: an init container, two containers with env and probes, volumes, tolerations. */
    TYPICAL,
    /** About 100 KB: 60 containers. */
    LARGE;

    /** Lower-case name, used in paths and tables. */
    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private PodReviews() {}

  /** The review for {@code size} as UTF-8 JSON. */
  public static byte[] review(Size size) {
    ObjectNode pod =
        switch (size) {
          case SMALL -> small();
          case TYPICAL -> typical();
          case LARGE -> large();
        };
    ObjectNode review = F.objectNode();
    review.put("kind", "AdmissionReview");
    review.put("apiVersion", "admission.k8s.io/v1");
    ObjectNode request = review.putObject("request");
    request.put(
        "uid", "b3c5d7e9-" + String.format("%04d", size.ordinal()) + "-4000-8000-00000000beef");
    request.set("kind", gvk("", "v1", "Pod"));
    request.set("resource", gvr("", "v1", "pods"));
    request.set("requestKind", gvk("", "v1", "Pod"));
    request.set("requestResource", gvr("", "v1", "pods"));
    request.put("name", "");
    request.put("namespace", NAMESPACE);
    request.put("operation", "CREATE");
    ObjectNode user = request.putObject("userInfo");
    user.put("username", "system:serviceaccount:kube-system:replicaset-controller");
    user.put("uid", "5a2b7c1e-0000-4000-8000-000000000001");
    ArrayNode groups = user.putArray("groups");
    groups
        .add("system:serviceaccounts")
        .add("system:serviceaccounts:kube-system")
        .add("system:authenticated");
    request.set("object", pod);
    request.putNull("oldObject");
    request.put("dryRun", false);
    ObjectNode options = request.putObject("options");
    options.put("kind", "CreateOptions");
    options.put("apiVersion", "meta.k8s.io/v1");
    try {
      return new ObjectMapper().writeValueAsString(review).getBytes(StandardCharsets.UTF_8);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ObjectNode small() {
    ObjectNode pod = pod("web", 1);
    ObjectNode spec = (ObjectNode) pod.get("spec");
    ArrayNode containers = spec.putArray("containers");
    ObjectNode c = container("web", "registry.ng.bluemix.net/acme/web:1.4.2", 1, false);
    containers.add(c);
    spec.set("volumes", F.arrayNode().add(tokenVolume()));
    defaults(spec);
    return pod;
  }

  private static ObjectNode typical() {
    ObjectNode pod = pod("shop", 3);
    ObjectNode spec = (ObjectNode) pod.get("spec");
    ObjectNode init =
        container("migrate", "registry.ng.bluemix.net/acme/shop-migrate:2.7.0", 4, false);
    init.putArray("command").add("/bin/migrate").add("--wait-for-db").add("--timeout=120s");
    spec.putArray("initContainers").add(init);
    ArrayNode containers = spec.putArray("containers");
    containers.add(
        container(
            "shop",
            "registry.ng.bluemix.net/acme/shop@sha256:"
                + "4b825dc642cb6eb9a060e54bf8d69288fbee4904a1f6e4bd2ea3c5d1e2b1c0a9",
            12,
            true));
    containers.add(
        container("metrics", "registry.ng.bluemix.net/acme/metrics-agent:0.31.1", 5, true));
    ArrayNode volumes = spec.putArray("volumes");
    volumes.add(tokenVolume());
    ObjectNode config = volumes.addObject();
    config.put("name", "config");
    config.putObject("configMap").put("name", "shop-config").put("defaultMode", 420);
    ObjectNode cache = volumes.addObject();
    cache.put("name", "cache");
    cache.putObject("emptyDir").put("sizeLimit", "256Mi");
    ObjectNode certs = volumes.addObject();
    certs.put("name", "tls");
    certs.putObject("secret").put("secretName", "shop-tls").put("defaultMode", 420);
    spec.putArray("imagePullSecrets").addObject().put("name", "regcred");
    ObjectNode affinity = spec.putObject("affinity").putObject("podAntiAffinity");
    ObjectNode term =
        affinity.putArray("preferredDuringSchedulingIgnoredDuringExecution").addObject();
    term.put("weight", 100);
    ObjectNode podTerm = term.putObject("podAffinityTerm");
    podTerm.putObject("labelSelector").putObject("matchLabels").put("app", "shop");
    podTerm.put("topologyKey", "kubernetes.io/hostname");
    defaults(spec);
    ArrayNode tolerations = (ArrayNode) spec.get("tolerations");
    ObjectNode dedicated = tolerations.addObject();
    dedicated.put("key", "dedicated");
    dedicated.put("operator", "Equal");
    dedicated.put("value", "shop");
    dedicated.put("effect", "NoSchedule");
    return pod;
  }

  private static ObjectNode large() {
    ObjectNode pod = pod("batch", 6);
    ObjectNode spec = (ObjectNode) pod.get("spec");
    ArrayNode containers = spec.putArray("containers");
    for (int i = 0; i < 60; i++) {
      String name = String.format("worker-%02d", i);
      containers.add(
          container(
              name,
              "registry.ng.bluemix.net/acme/pipeline/stage-" + i + ":3." + i + ".0",
              14,
              true));
    }
    ArrayNode volumes = spec.putArray("volumes");
    volumes.add(tokenVolume());
    ObjectNode cache = volumes.addObject();
    cache.put("name", "cache");
    cache.putObject("emptyDir");
    ObjectNode config = volumes.addObject();
    config.put("name", "config");
    config.putObject("configMap").put("name", "batch-config").put("defaultMode", 420);
    defaults(spec);
    return pod;
  }

  private static ObjectNode pod(String app, int labels) {
    ObjectNode pod = F.objectNode();
    pod.put("kind", "Pod");
    pod.put("apiVersion", "v1");
    ObjectNode metadata = pod.putObject("metadata");
    metadata.put("generateName", app + "-7d9f8b6c5d-");
    metadata.put("namespace", NAMESPACE);
    ObjectNode l = metadata.putObject("labels");
    l.put("app", app);
    l.put("pod-template-hash", "7d9f8b6c5d");
    for (int i = 2; i < labels; i++) {
      l.put("example.com/label-" + i, "value-" + i);
    }
    metadata
        .putObject("annotations")
        .put("kubectl.kubernetes.io/restartedAt", "2025-11-20T10:15:00Z");
    ObjectNode owner = metadata.putArray("ownerReferences").addObject();
    owner.put("apiVersion", "apps/v1");
    owner.put("kind", "ReplicaSet");
    owner.put("name", app + "-7d9f8b6c5d");
    owner.put("uid", "0c7f5b2e-1111-4000-8000-000000000002");
    owner.put("controller", true);
    owner.put("blockOwnerDeletion", true);
    pod.putObject("spec");
    pod.putObject("status");
    return pod;
  }

  private static ObjectNode container(String name, String image, int envCount, boolean probes) {
    ObjectNode c = F.objectNode();
    c.put("name", name);
    c.put("image", image);
    ArrayNode ports = c.putArray("ports");
    ObjectNode port = ports.addObject();
    port.put("name", "http");
    port.put("containerPort", 8080);
    port.put("protocol", "TCP");
    ArrayNode env = c.putArray("env");
    for (int i = 0; i < envCount; i++) {
      ObjectNode e = env.addObject();
      e.put("name", name.toUpperCase(java.util.Locale.ROOT).replace('-', '_') + "_SETTING_" + i);
      if (i % 4 == 3) {
        ObjectNode ref = e.putObject("valueFrom").putObject("secretKeyRef");
        ref.put("name", "app-secrets");
        ref.put("key", "key-" + i);
      } else {
        e.put("value", "value-" + i + "-" + "x".repeat(8 + i % 5));
      }
    }
    ObjectNode resources = c.putObject("resources");
    resources.putObject("requests").put("cpu", "100m").put("memory", "128Mi");
    ObjectNode limits = resources.putObject("limits");
    limits.put("cpu", 0.5);
    limits.put("memory", "256Mi");
    ArrayNode mounts = c.putArray("volumeMounts");
    ObjectNode token = mounts.addObject();
    token.put("name", "kube-api-access-x7k2p");
    token.put("readOnly", true);
    token.put("mountPath", "/var/run/secrets/kubernetes.io/serviceaccount");
    if (probes) {
      mounts.addObject().put("name", "config").put("mountPath", "/etc/app").put("readOnly", true);
      c.set("livenessProbe", probe("/healthz", 10, 3));
      c.set("readinessProbe", probe("/ready", 5, 1));
      ObjectNode security = c.putObject("securityContext");
      security.put("allowPrivilegeEscalation", false);
      security.put("readOnlyRootFilesystem", true);
      security.putObject("capabilities").putArray("drop").add("ALL");
    }
    c.put("terminationMessagePath", "/dev/termination-log");
    c.put("terminationMessagePolicy", "File");
    c.put("imagePullPolicy", "IfNotPresent");
    return c;
  }

  private static ObjectNode probe(String path, int period, int failures) {
    ObjectNode p = F.objectNode();
    ObjectNode http = p.putObject("httpGet");
    http.put("path", path);
    http.put("port", 8080);
    http.put("scheme", "HTTP");
    p.put("initialDelaySeconds", 5);
    p.put("timeoutSeconds", 1);
    p.put("periodSeconds", period);
    p.put("successThreshold", 1);
    p.put("failureThreshold", failures);
    return p;
  }

  private static ObjectNode tokenVolume() {
    ObjectNode v = F.objectNode();
    v.put("name", "kube-api-access-x7k2p");
    ObjectNode projected = v.putObject("projected");
    ArrayNode sources = projected.putArray("sources");
    ObjectNode token = sources.addObject().putObject("serviceAccountToken");
    token.put("expirationSeconds", 3607);
    token.put("path", "token");
    ObjectNode ca = sources.addObject().putObject("configMap");
    ca.put("name", "kube-root-ca.crt");
    ca.putArray("items").addObject().put("key", "ca.crt").put("path", "ca.crt");
    ObjectNode ns = sources.addObject().putObject("downwardAPI");
    ObjectNode item = ns.putArray("items").addObject();
    item.put("path", "namespace");
    item.putObject("fieldRef").put("apiVersion", "v1").put("fieldPath", "metadata.namespace");
    projected.put("defaultMode", 420);
    return v;
  }

  private static void defaults(ObjectNode spec) {
    spec.put("restartPolicy", "Always");
    spec.put("terminationGracePeriodSeconds", 30);
    spec.put("dnsPolicy", "ClusterFirst");
    spec.put("serviceAccountName", "default");
    spec.put("serviceAccount", "default");
    spec.putObject("securityContext").put("runAsNonRoot", true);
    spec.put("schedulerName", "default-scheduler");
    ArrayNode tolerations = spec.putArray("tolerations");
    for (String key :
        new String[] {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"}) {
      ObjectNode t = tolerations.addObject();
      t.put("key", key);
      t.put("operator", "Exists");
      t.put("effect", "NoExecute");
      t.put("tolerationSeconds", 300);
    }
    spec.put("priority", 0);
    spec.put("enableServiceLinks", true);
    spec.put("preemptionPolicy", "PreemptLowerPriority");
  }

  private static ObjectNode gvk(String group, String version, String kind) {
    ObjectNode n = F.objectNode();
    n.put("group", group);
    n.put("version", version);
    n.put("kind", kind);
    return n;
  }

  private static ObjectNode gvr(String group, String version, String resource) {
    ObjectNode n = F.objectNode();
    n.put("group", group);
    n.put("version", version);
    n.put("resource", resource);
    return n;
  }
}
