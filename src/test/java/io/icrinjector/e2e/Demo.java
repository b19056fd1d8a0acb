package io.icrinjector.e2e;

import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * {@code make demo}: a local control plane, the webhook installed from deploy/, one pod from
 * {@code registry.ng.bluemix.net} shown as submitted and as stored, and the copied secret; then everything is
 * stopped. {@code make latency} ({@code Demo measure}) times pod creates through the API server in one run: with no
 * mutation, with the in-tree MutatingAdmissionPolicy ({@link RewritePolicy}) and with the webhook; pods that name no
 * IBM image with and without the webhook registered (its matchConditions keep them in the API server); and the first
 * pod of a namespace (which the webhook copies the secret for).
 */
public final class Demo {

  private Demo() {}

  /** Entry point; {@code measure [pods]} runs the latency comparison instead of the walk-through. */
  public static void main(String[] args) {
    boolean measure = args.length > 0 && args[0].equals("measure");
    int pods = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    step("starting etcd and kube-apiserver (binaries from make controlplane)");
    try (ControlPlane cluster = ControlPlane.start()) {
      KubernetesClient admin = cluster.admin();
      step(
          "creating the source pull secret default/all-icr-io (as `ibmcloud ks cluster pull-secret apply` would)");
      admin
          .secrets()
          .inNamespace("default")
          .resource(
              new SecretBuilder()
                  .withNewMetadata()
                  .withName("all-icr-io")
                  .endMetadata()
                  .withType("kubernetes.io/dockerconfigjson")
                  .withData(
                      Map.of(
                          ".dockerconfigjson",
                          Base64.getEncoder()
                              .encodeToString(
                                  "{\"auths\":{\"icr.io\":{\"username\":\"iamapikey\",\"password\":\"demo\"}}}"
                                      .getBytes(StandardCharsets.UTF_8))))
                  .build())
          .create();
      step(
          "installing icr-injector from deploy/ (RBAC, webhook registration) and starting the packaged jar");
      try (Webhook webhook = Webhook.install(cluster)) {
        webhook.register();
        if (measure) {
          measure(cluster, webhook, pods);
        } else {
          walkThrough(cluster);
          report(cluster, webhook);
        }
        step("stopping the webhook, kube-apiserver and etcd");
      }
    }
    step("done");
    // The HTTP client's event-loop threads are not daemons; under `mvn exec:java` they would keep
    // Maven waiting.
    System.exit(0);
  }

  private static void walkThrough(ControlPlane cluster) {
    KubernetesClient admin = cluster.admin();
    cluster.namespace("demo", "enabled");
    step("namespace demo labelled icr-injector.io/inject=enabled");
    Pod submitted =
        new PodBuilder()
            .withNewMetadata()
            .withName("hello")
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("hello")
            .withImage("registry.ng.bluemix.net/acme/hello:1.0")
            .endContainer()
            .endSpec()
            .build();
    show("BEFORE (as submitted)", submitted);
    Pod stored = admin.pods().inNamespace("demo").resource(submitted).create();
    show("AFTER (as stored by the API server)", stored);
    Secret copy = admin.secrets().inNamespace("demo").withName("all-icr-io").get();
    System.out.println();
    System.out.println("COPIED SECRET demo/all-icr-io");
    System.out.println("  type:        " + copy.getType());
    System.out.println("  data keys:   " + copy.getData().keySet());
    System.out.println("  labels:      " + copy.getMetadata().getLabels());
    System.out.println("  annotations: " + copy.getMetadata().getAnnotations());
    System.out.println();
  }

  private static void report(ControlPlane cluster, Webhook webhook) {
    KubernetesClient admin = cluster.admin();
    cluster.namespace("legacy", null);
    admin
        .apps()
        .deployments()
        .inNamespace("legacy")
        .resource(
            new io.fabric8.kubernetes.api.model.apps.DeploymentBuilder()
                .withNewMetadata()
                .withName("billing")
                .endMetadata()
                .withNewSpec()
                .withNewSelector()
                .addToMatchLabels("app", "billing")
                .endSelector()
                .withNewTemplate()
                .withNewMetadata()
                .addToLabels("app", "billing")
                .endMetadata()
                .withNewSpec()
                .addNewInitContainer()
                .withName("migrate")
                .withImage("registry.eu-de.bluemix.net/acme/billing-migrate:7")
                .endInitContainer()
                .addNewContainer()
                .withName("billing")
                .withImage("registry.eu-de.bluemix.net/acme/billing:7")
                .endContainer()
                .addNewContainer()
                .withName("tracer")
                .withImage("registry.jp-tok.bluemix.net/acme/tracer:1")
                .endContainer()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build())
        .create();
    step(
        "an unlabelled namespace legacy runs a Deployment from registry.eu-de.bluemix.net; the migration report:");
    try {
      var response =
          java.net.http.HttpClient.newHttpClient()
              .send(
                  java.net.http.HttpRequest.newBuilder(
                          java.net.URI.create(webhook.managementUrl() + "/report?format=table"))
                      .build(),
                  java.net.http.HttpResponse.BodyHandlers.ofString());
      System.out.println();
      System.out.print(response.body());
      System.out.println();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void measure(ControlPlane cluster, Webhook webhook, int pods) {
    KubernetesClient admin = cluster.admin();
    cluster.namespace("warm", "enabled");
    create(admin, "warm", "warmup", 50, IBM); // JIT and connection warm-up on both sides
    step("timing " + pods + " pod creates in a namespace that has its secret, webhook registered");
    long[] withWebhook = create(admin, "warm", "with", pods, IBM);
    step(
        "timing "
            + pods
            + " pod creates that name no IBM image, webhook registered (its matchConditions skip them), "
            + "alternating with as many in a namespace the webhook does not select");
    cluster.namespace("unselected", null);
    double seenBefore = admissions(webhook);
    long[] skipped = new long[pods];
    long[] unselected = new long[pods];
    for (int i = 0; i < pods; i++) {
      skipped[i] = create(admin, "warm", "other-" + i, 1, OTHER)[0];
      unselected[i] = create(admin, "unselected", "other-" + i, 1, OTHER)[0];
    }
    double seen = admissions(webhook) - seenBefore;
    if (seen != 0) {
      throw new IllegalStateException(seen + " pods that name no IBM image reached the webhook");
    }
    step(
        "the webhook counted 0 of them (icr_injector_admissions_total; it counted "
            + admissions(webhook)
            + " admissions in all)");
    int firsts = Math.max(10, pods / 10);
    step(
        "timing the first pod of "
            + firsts
            + " new namespaces (the webhook copies the secret before answering)");
    long[] first = new long[firsts];
    for (int i = 0; i < firsts; i++) {
      cluster.namespace("first-" + i, "enabled");
      first[i] = create(admin, "first-" + i, "p", 1, IBM)[0];
    }
    webhook.unregister();
    Processes.sleep(2000); // the API server's webhook configuration cache catches up
    cluster.namespace("bare", null);
    create(admin, "bare", "warmup", 50, IBM);
    step("timing " + pods + " pod creates with no webhook registered");
    long[] without = create(admin, "bare", "without", pods, IBM);
    long[] otherWithout = create(admin, "bare", "other", pods, OTHER);
    step("timing the first pod of " + firsts + " new namespaces with no webhook registered");
    long[] firstWithout = new long[firsts];
    for (int i = 0; i < firsts; i++) {
      cluster.namespace("bare-first-" + i, null);
      firstWithout[i] = create(admin, "bare-first-" + i, "p", 1, IBM)[0];
    }
    step(
        "installing the MutatingAdmissionPolicy (src/test/resources/policy) and timing "
            + pods
            + " pod creates");
    RewritePolicy.install(cluster, "policy");
    create(admin, "policy", "warmup", 50, IBM);
    long[] withPolicy = create(admin, "policy", "with", pods, IBM);
    System.out.println();
    System.out.println("POD CREATE LATENCY THROUGH THE API SERVER (ms, one client, sequential)");
    System.out.printf("  %-56s %7s %7s %7s %7s%n", "", "n", "p50", "p90", "p99");
    row("no mutation", without);
    row("MutatingAdmissionPolicy (rewrite + secret)", withPolicy);
    row("webhook, namespace has the secret", withWebhook);
    row("no mutation, pod names no IBM image", otherWithout);
    row("webhook registered, no IBM image, unselected namespace", unselected);
    row("webhook registered, no IBM image, matchConditions skip", skipped);
    row("no mutation, first pod of a new namespace", firstWithout);
    row("webhook, first pod of a new namespace (copy)", first);
    System.out.println();
  }

  /** Every admission the webhook counted (icr_injector_admissions_total, all paths and results). */
  private static double admissions(Webhook webhook) {
    try {
      String metrics =
          java.net.http.HttpClient.newHttpClient()
              .send(
                  java.net.http.HttpRequest.newBuilder(
                          java.net.URI.create(webhook.managementUrl() + "/q/metrics"))
                      .build(),
                  java.net.http.HttpResponse.BodyHandlers.ofString())
              .body();
      return java.util.regex.Pattern.compile(
              "(?m)^icr_injector_admissions_total\\{[^}]*} ([0-9.E]+)$")
          .matcher(metrics)
          .results()
          .mapToDouble(m -> Double.parseDouble(m.group(1)))
          .sum();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static final java.util.function.IntFunction<String> IBM =
      i -> "registry.ng.bluemix.net/acme/app:" + i;
  private static final java.util.function.IntFunction<String> OTHER = i -> "quay.io/acme/app:" + i;

  private static long[] create(
      KubernetesClient admin,
      String ns,
      String prefix,
      int n,
      java.util.function.IntFunction<String> image) {
    long[] nanos = new long[n];
    for (int i = 0; i < n; i++) {
      Pod pod =
          new PodBuilder()
              .withNewMetadata()
              .withName(prefix + "-" + i)
              .endMetadata()
              .withNewSpec()
              .addNewContainer()
              .withName("app")
              .withImage(image.apply(i))
              .endContainer()
              .endSpec()
              .build();
      long t0 = System.nanoTime();
      admin.pods().inNamespace(ns).resource(pod).create();
      nanos[i] = System.nanoTime() - t0;
    }
    return nanos;
  }

  private static void row(String name, long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    System.out.printf(
        "  %-56s %7d %7.2f %7.2f %7.2f%n",
        name, sorted.length, pct(sorted, 50), pct(sorted, 90), pct(sorted, 99));
  }

  private static double pct(long[] sorted, int p) {
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
  }

  private static void show(String title, Pod pod) {
    System.out.println();
    System.out.println(title);
    pod.getSpec()
        .getContainers()
        .forEach(c -> System.out.println("  container " + c.getName() + ": " + c.getImage()));
    List<String> secrets =
        pod.getSpec().getImagePullSecrets() == null
            ? new ArrayList<>()
            : pod.getSpec().getImagePullSecrets().stream()
                .map(LocalObjectReference::getName)
                .collect(Collectors.toList());
    System.out.println("  imagePullSecrets: " + (secrets.isEmpty() ? "(none)" : secrets));
  }

  private static final long START = System.nanoTime();

  private static void step(String what) {
    System.out.printf("[demo %5.1fs] %s%n", (System.nanoTime() - START) / 1e9, what);
  }
}
