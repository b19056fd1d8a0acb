package io.icrinjector.node;

import java.util.List;
import java.util.Map;

/**
 * {@code make demo-cluster}: the main job on the real node, for a person. The node comes up, the webhook's image is
 * built and imported, {@code kubectl apply -k} installs it, and a Deployment whose image names
 * {@code registry.ng.bluemix.net} runs, pulled from the local us.icr.io through the copied pull secret. The node
 * stays up afterwards for a look around; {@code make cluster-down} stops it.
 */
public final class NodeDemo {

  private NodeDemo() {}

  /** Entry point. */
  public static void main(String[] args) {
    long t0 = System.nanoTime();
    step(t0, "starting the node (make cluster)");
    Node node = Node.up();
    step(
        t0,
        "building the webhook's image (src/main/image/build.sh) and importing it into the node's containerd");
    node.importWebhookImage();
    String tag = "demo-" + System.currentTimeMillis() / 1000;
    node.push("us.icr.io/acme/hello:" + tag);
    step(
        t0,
        "kubectl apply -k "
            + Node.OVERLAY
            + "   (deploy/ with cert-manager, only the image changed)");
    node.kubectl("apply", "-k", Node.OVERLAY.toString());
    node.kubectl(
        "rollout", "status", "deployment/icr-injector", "-n", "icr-injector", "--timeout=240s");
    step(t0, "webhook: 2 replicas Ready");
    node.kubectl("create", "namespace", "demo");
    node.kubectl("label", "namespace", "demo", "icr-injector.io/inject=enabled");
    Node.await(
        "ServiceAccount demo/default",
        java.time.Duration.ofSeconds(60),
        () ->
            node.kubectl("get", "serviceaccounts", "-n", "demo", "-o", "name").contains("default"));
    step(t0, "namespace demo labelled icr-injector.io/inject=enabled");
    String image = "registry.ng.bluemix.net/acme/hello:" + tag;
    System.out.println(
        "\nBEFORE (as submitted)\n  kubectl create deployment hello -n demo --image="
            + image
            + "\n  imagePullSecrets: (none)   namespace demo has no secret all-icr-io");
    node.kubectl("create", "deployment", "hello", "-n", "demo", "--image=" + image);
    node.kubectl("rollout", "status", "deployment/hello", "-n", "demo", "--timeout=180s");
    Map<String, Object> pod =
        NodeE2EIT.items(node.json("get", "pods", "-n", "demo", "-l", "app=hello")).get(0);
    String name = NodeE2EIT.string(pod, "metadata", "name");
    System.out.println("\nAFTER (pod " + name + ", as stored and running)");
    System.out.println(
        "  image:            " + NodeE2EIT.string(pod, "spec", "containers", 0, "image"));
    System.out.println(
        "  imagePullSecrets: ["
            + NodeE2EIT.string(pod, "spec", "imagePullSecrets", 0, "name")
            + "]");
    System.out.println("  phase:            " + NodeE2EIT.string(pod, "status", "phase"));
    List<Map<String, Object>> events =
        NodeE2EIT.items(
            node.json(
                "get",
                "events",
                "-n",
                "demo",
                "--field-selector",
                "involvedObject.name=" + name + ",reason=Pulled"));
    events.forEach(
        e -> System.out.println("  event Pulled:     " + NodeE2EIT.string(e, "message")));
    System.out.println("  container says:   " + node.kubectl("logs", "-n", "demo", name).strip());
    var secret = node.object("get", "secret", "all-icr-io", "-n", "demo");
    System.out.println("\nCOPIED SECRET demo/all-icr-io");
    System.out.println("  type:        " + secret.get("type"));
    System.out.println("  labels:      " + secret.getMetadata().getLabels());
    System.out.println("  annotations: " + secret.getMetadata().getAnnotations());
    System.out.println();
    step(t0, "done; the node stays up:");
    System.out.println(
        "  "
            + node.dir().resolve("bin/kubectl")
            + " get pods -A      (runs inside the node's network namespace)");
    System.out.println("  make cluster-down                                   (stops the node)");
  }

  private static void step(long t0, String what) {
    System.out.printf("[demo-cluster %5.1fs] %s%n", (System.nanoTime() - t0) / 1e9, what);
  }
}
