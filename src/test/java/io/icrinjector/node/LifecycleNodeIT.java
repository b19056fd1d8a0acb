package io.icrinjector.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.icrinjector.testing.ChildEnv;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The install's life on a real node, as docs/install.md and docs/operating.md tell an administrator to live it, with
 * pods created all along by {@link NodeE2EIT}'s load: a kustomize install taken over by helm, {@code helm uninstall}
 * (the registration goes first, then the cleanup hook removes the copies and nothing else), {@code helm upgrade}
 * from the previous chart (0.1.0, src/test/resources/helm), and the kustomize uninstall in its two steps followed by
 * the jar's {@code cleanup}.
 *
 * <p>Ordered on purpose, as {@link NodeE2EIT} is: one node, brought up once, and each step leaves the cluster empty
 * of the webhook for the next (except the first, whose install the second uninstalls). Run it alone with
 * {@code flock /tmp/icr-node.lock mvn ... failsafe:integration-test@node -Dit.test=LifecycleNodeIT}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LifecycleNodeIT {

  static final String NS = NodeE2EIT.NS;
  static final String ENABLED = NodeE2EIT.ENABLED;
  static final String SECRET = NodeE2EIT.SECRET;

  /** An opted-in namespace whose all-icr-io is the user's own: no cleanup may take it. */
  static final String USER = "life-user";

  static final String CHART = "deploy/helm/icr-injector";
  static final String PREVIOUS_CHART = "src/test/resources/helm/icr-injector-0.1.0.tgz";

  /** The image the suite imported, for the chart. */
  static final List<String> IMAGE =
      List.of("--set", "image.repository=icr-injector", "--set", "image.tag=node-e2e");

  Node node;

  /** NodeE2EIT's steps (the load and its count, namespaces, the webhook's pods), on this class's node. */
  final NodeE2EIT steps = new NodeE2EIT();

  @BeforeAll
  void up() {
    node = Node.up();
    steps.node = node;
    node.importWebhookImage();
    node.push("us.icr.io/acme/hello:" + steps.tag);
    steps.namespace(ENABLED, "enabled");
  }

  @AfterAll
  void down() {
    if (node != null) {
      node.close();
    }
  }

  /** docs/install.md, "Taking a kustomize install over with helm". */
  @Test
  @Order(1)
  void helmTakesAKustomizeInstallOverAndNoPodCreatedMeanwhileIsUnpatched() throws Exception {
    node.kubectl("apply", "-k", Node.OVERLAY.toString());
    node.kubectl("rollout", "status", "deployment/icr-injector", "-n", NS, "--timeout=240s");
    awaitPatching();
    List<String> before = steps.webhookPods();
    Path out = Files.createTempDirectory("icr-takeover");
    Process load = steps.startLoad(out);
    try {
      NodeE2EIT.awaitMoreCreated(out, 10);
      helm(
          with(
              List.of(
                  "install",
                  "icr-injector",
                  CHART,
                  "--namespace",
                  NS,
                  "--take-ownership",
                  "--set",
                  "cleanup.onUninstall=true",
                  "--wait",
                  "--timeout=240s"),
              IMAGE));
      node.kubectl("rollout", "status", "deployment/icr-injector", "-n", NS, "--timeout=240s");
      steps.awaitReadyReplicas(2);
      NodeE2EIT.awaitMoreCreated(out, 10);
    } finally {
      stop(out, load);
    }
    NodeE2EIT.Load result = NodeE2EIT.Load.read(out);
    System.err.printf(
        "[node] helm takeover: pods created meanwhile %d, unpatched %d, failed %d%n",
        result.created(), result.unpatched().size(), result.failed().size());
    result.assertAllPatched();
    for (List<String> object :
        List.of(
            List.of("deployment/icr-injector", "-n", NS),
            List.of("service/icr-injector", "-n", NS),
            List.of("mutatingwebhookconfiguration/icr-injector"),
            List.of("certificate/icr-injector-tls", "-n", NS),
            List.of("clusterrole/icr-injector"))) {
      List<String> args = new ArrayList<>(List.of("get"));
      args.addAll(object);
      GenericKubernetesResource o = node.object(args.toArray(String[]::new));
      assertThat(o.getMetadata().getLabels())
          .as(object.get(0))
          .containsEntry("app.kubernetes.io/managed-by", "Helm");
      assertThat(o.getMetadata().getAnnotations())
          .as(object.get(0))
          .containsEntry("meta.helm.sh/release-name", "icr-injector");
    }
    assertThat(steps.webhookPods())
        .as("replaced by the chart's pods")
        .hasSize(2)
        .doesNotContainAnyElementsOf(before);
    assertThat(steps.restarts()).as("webhook container restarts").isZero();
  }

  /** docs/operating.md, "Uninstall": helm, with cleanup.onUninstall=true (set at the takeover). */
  @Test
  @Order(2)
  void helmUninstallDeletesTheRegistrationBeforeTheDeploymentAndTheHookDeletesOnlyTheCopies()
      throws Exception {
    steps.namespace(USER, "enabled");
    node.kubectl("create", "secret", "generic", SECRET, "-n", USER, "--from-literal=mine=yes");
    Node.await(
        "the copy in " + ENABLED,
        Duration.ofSeconds(60),
        () -> copies().contains(ENABLED + "/" + SECRET));
    Path out = Files.createTempDirectory("icr-uninstall");
    Deletions deletions = Deletions.watch(node);
    Process load = steps.startLoad(out);
    try {
      NodeE2EIT.awaitMoreCreated(out, 10);
      helm("uninstall", "icr-injector", "--namespace", NS, "--wait", "--timeout=240s");
      NodeE2EIT.awaitMoreCreated(out, 10); // and pods are still created once it is gone
    } finally {
      stop(out, load);
      deletions.close();
    }
    deletions.assertRegistrationWentFirst("helm uninstall");
    assertAdmittedUnpatchedOnlyAfter(out, deletions.registration.deleting);
    assertThat(copies()).as("copies left after the cleanup hook").isEmpty();
    assertThat(node.kubectl("get", "secret", SECRET, "-n", "default", "-o", "name"))
        .as("the source")
        .isNotBlank();
    assertThat(
            node.kubectl("get", "secret", SECRET, "-n", USER, "-o", "jsonpath={.data.mine}")
                .strip())
        .as("the user's own " + SECRET)
        .isEqualTo("eWVz");
    assertThat(node.kubectl("get", "jobs,serviceaccounts", "-n", NS, "-o", "name"))
        .as("the hook's objects")
        .doesNotContain("icr-injector-uninstall");
    assertThat(node.kubectl("get", "clusterroles,clusterrolebindings", "-o", "name"))
        .doesNotContain("icr-injector");
    // What stays, as docs/operating.md says: the namespace kustomize made, with cert-manager's
    // Secrets (the CA's key).
    assertThat(node.kubectl("get", "secrets", "-n", NS, "-o", "name"))
        .contains("secret/icr-injector-ca", "secret/icr-injector-tls");
    node.kubectl("delete", "namespace", NS, "--wait=true", "--timeout=180s");
  }

  /** docs/operating.md, "Upgrade": from the previous chart version, under load. */
  @Test
  @Order(3)
  void helmUpgradeFromThePreviousChartLeavesNoPodUnpatchedAndBothReplicasReady() throws Exception {
    helm(
        with(
            List.of(
                "install",
                "icr-injector",
                PREVIOUS_CHART,
                "--namespace",
                NS,
                "--create-namespace",
                "--wait",
                "--timeout=240s"),
            IMAGE));
    assertThat(node.object("get", "deployment/icr-injector", "-n", NS).getMetadata().getLabels())
        .containsEntry("helm.sh/chart", "icr-injector-0.1.0");
    awaitPatching();
    List<String> before = steps.webhookPods();
    Path out = Files.createTempDirectory("icr-upgrade");
    Process load = steps.startLoad(out);
    try {
      NodeE2EIT.awaitMoreCreated(out, 10);
      // Both charts render the same pod template for the same values; an annotation stands for what
      // a real upgrade
      // changes there (a new image), so that the upgrade replaces both replicas while pods are
      // created.
      helm(
          with(
              List.of(
                  "upgrade",
                  "icr-injector",
                  CHART,
                  "--namespace",
                  NS,
                  "--set",
                  "podAnnotations.upgraded=0.2.0",
                  "--wait",
                  "--timeout=240s"),
              IMAGE));
      node.kubectl("rollout", "status", "deployment/icr-injector", "-n", NS, "--timeout=240s");
      steps.awaitReadyReplicas(2);
      NodeE2EIT.awaitMoreCreated(out, 10);
    } finally {
      stop(out, load);
    }
    NodeE2EIT.Load result = NodeE2EIT.Load.read(out);
    System.err.printf(
        "[node] helm upgrade 0.1.0 -> 0.2.0: pods created meanwhile %d, unpatched %d, failed %d%n",
        result.created(), result.unpatched().size(), result.failed().size());
    result.assertAllPatched();
    assertThat(node.object("get", "deployment/icr-injector", "-n", NS).getMetadata().getLabels())
        .containsEntry("helm.sh/chart", "icr-injector-0.2.0");
    assertThat(steps.webhookPods()).hasSize(2).doesNotContainAnyElementsOf(before);
    assertThat(steps.restarts()).as("webhook container restarts").isZero();
    helm("uninstall", "icr-injector", "--namespace", NS, "--wait", "--timeout=240s");
    node.kubectl("delete", "namespace", NS, "--wait=true", "--timeout=180s");
  }

  /**
   * docs/operating.md, "Uninstall": the kustomize install in two steps (kubectl deletes in the order kustomize
   * renders, the registration last), then the jar's cleanup run by an administrator with the cluster's kubeconfig.
   */
  @Test
  @Order(4)
  void theKustomizeUninstallDeletesTheRegistrationFirstAndTheJarsCleanupRemovesTheCopies()
      throws Exception {
    node.kubectl("apply", "-k", Node.OVERLAY.toString());
    node.kubectl("rollout", "status", "deployment/icr-injector", "-n", NS, "--timeout=240s");
    awaitPatching();
    Node.await(
        "the copy in " + ENABLED,
        Duration.ofSeconds(60),
        () -> copies().contains(ENABLED + "/" + SECRET));
    Path out = Files.createTempDirectory("icr-kustomize-uninstall");
    Deletions deletions = Deletions.watch(node);
    Process load = steps.startLoad(out);
    try {
      NodeE2EIT.awaitMoreCreated(out, 10);
      node.kubectl("delete", "mutatingwebhookconfiguration", "icr-injector");
      node.kubectl(
          "delete",
          "-k",
          Node.OVERLAY.toString(),
          "--ignore-not-found",
          "--wait=true",
          "--timeout=240s");
      NodeE2EIT.awaitMoreCreated(out, 10);
    } finally {
      stop(out, load);
      deletions.close();
    }
    deletions.assertRegistrationWentFirst("kubectl delete, two steps");
    assertAdmittedUnpatchedOnlyAfter(out, deletions.registration.deleting);
    assertThat(copies()).as("kubectl delete -k leaves the copies").contains(ENABLED + "/" + SECRET);

    String dryRun = cleanup("--dry-run");
    assertThat(dryRun).contains("would delete 1 copies of all-icr-io");
    assertThat(copies()).contains(ENABLED + "/" + SECRET);
    assertThat(cleanup())
        .contains("cleanup: deleted 1 copies of all-icr-io; 0 labelled secrets left");
    assertThat(copies()).isEmpty();
    assertThat(
            node.kubectl("get", "secret", SECRET, "-n", USER, "-o", "jsonpath={.data.mine}")
                .strip())
        .isEqualTo("eWVz");
    assertThat(node.kubectl("get", "secret", SECRET, "-n", "default", "-o", "name")).isNotBlank();
  }

  // --- helpers

  String helm(String... args) {
    return node.helm(args);
  }

  String helm(List<String> args) {
    return node.helm(args.toArray(String[]::new));
  }

  static List<String> with(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  /** {@code java -jar quarkus-run.jar cleanup}, as an administrator runs it: with the cluster's kubeconfig. */
  String cleanup(String... options) {
    // The node's admin key is an EC key in PKCS#8, whose algorithm fabric8 does not find by itself
    // (it falls back to
    // RSA and fails with "Invalid DER"): docs/operating.md gives admins the same property.
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dkubernetes.certs.client.key.algo=EC",
                "-jar",
                "target/quarkus-app/quarkus-run.jar",
                "cleanup"));
    cmd.addAll(List.of(options));
    try {
      ProcessBuilder pb =
          ChildEnv.apply(
                  new ProcessBuilder(Node.inNamespace(cmd)),
                  ChildEnv.withKubeconfig(node.dir().resolve("admin.kubeconfig")))
              .redirectErrorStream(true);
      Process p = pb.start();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(2, TimeUnit.MINUTES)).as("cleanup done").isTrue();
      System.err.print("[node] cleanup " + String.join(" ", options) + ":\n" + output);
      assertThat(p.exitValue()).as(output).isZero();
      return output;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Every secret the webhook's label marks, as namespace/name. */
  List<String> copies() {
    return List.of(
            node.kubectl(
                    "get",
                    "secrets",
                    "-A",
                    "-l",
                    "app.kubernetes.io/managed-by=icr-injector",
                    "-o",
                    "jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}{\"\\n\"}{end}")
                .strip()
                .split("\n"))
        .stream()
        .filter(s -> !s.isBlank())
        .toList();
  }

  /** A server-side dry run of a pod with a deprecated image comes back patched (cainjector has filled the caBundle). */
  void awaitPatching() {
    String old = "registry.ng.bluemix.net/acme/hello:" + steps.tag;
    Node.await(
        "a pod patched through the webhook",
        Duration.ofSeconds(120),
        () -> {
          @SuppressWarnings("unchecked")
          Map<String, Object> pod =
              Serialization.unmarshal(
                  node.kubectl(
                      "run",
                      "lifecycle-check",
                      "-n",
                      ENABLED,
                      "--image=" + old,
                      "--restart=Never",
                      "--dry-run=server",
                      "-o",
                      "json"),
                  Map.class);
          return ("us.icr.io/acme/hello:" + steps.tag)
              .equals(NodeE2EIT.string(pod, "spec", "containers", 0, "image"));
        });
  }

  /** Stops the load and deletes its pods (they never run: a scheduling gate), so the next step starts light. */
  void stop(Path out, Process load) throws Exception {
    Files.writeString(out.resolve("stop"), "");
    load.waitFor(60, TimeUnit.SECONDS);
    node.kubectl("delete", "pods", "-n", ENABLED, "-l", "icr-test=load", "--wait=false");
  }

  /**
   * Every create succeeded (failurePolicy Ignore and no call to a webhook that is going: none failed or waited), the
   * pods created while the webhook was there are patched, and a pod is unpatched only when created after the
   * registration went (creationTimestamp has whole seconds: a second's grace).
   */
  static void assertAdmittedUnpatchedOnlyAfter(Path out, Instant unregistered) throws IOException {
    NodeE2EIT.Load result = NodeE2EIT.Load.read(out);
    assertThat(result.failed()).as("pod creates that failed").isEmpty();
    assertThat(result.created()).as("pods created throughout").isGreaterThan(20);
    int patched = 0;
    List<String> early = new ArrayList<>();
    Instant cutoff = unregistered.truncatedTo(ChronoUnit.SECONDS).minusSeconds(1);
    try (var files = Files.list(out)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".json")).toList()) {
        @SuppressWarnings("unchecked")
        Map<String, Object> pod = Serialization.unmarshal(Files.readString(f), Map.class);
        String created = NodeE2EIT.string(pod, "metadata", "creationTimestamp");
        if (created == null) {
          continue; // not a pod (counted as failed above)
        }
        if (NodeE2EIT.string(pod, "spec", "containers", 0, "image").startsWith("us.icr.io/")) {
          patched++;
        } else if (Instant.parse(created).isBefore(cutoff)) {
          early.add(NodeE2EIT.string(pod, "metadata", "name") + " at " + created);
        }
      }
    }
    System.err.printf(
        "[node] pods created %d, patched %d (before the registration went at %s)%n",
        result.created(), patched, unregistered);
    assertThat(patched).as("pods patched before the registration went").isGreaterThanOrEqualTo(10);
    assertThat(early)
        .as("pods unpatched though created while the webhook was registered")
        .isEmpty();
  }

  /** When the registration's and the Deployment's deletions were seen, each by a kubectl watch of its own. */
  static final class Deletions implements AutoCloseable {
    final Watch registration;
    final Watch deployment;

    private Deletions(Watch registration, Watch deployment) {
      this.registration = registration;
      this.deployment = deployment;
    }

    static Deletions watch(Node node) {
      Deletions d =
          new Deletions(
              new Watch(node, "mutatingwebhookconfiguration", "icr-injector"),
              new Watch(node, "deployment", "icr-injector", "-n", NS));
      Node.await(
          "both watches started",
          Duration.ofSeconds(30),
          () -> d.registration.started != null && d.deployment.started != null);
      return d;
    }

    void assertRegistrationWentFirst(String how) {
      Node.await(
          "both deletions seen",
          Duration.ofSeconds(120),
          () -> registration.deleting != null && deployment.deleting != null);
      System.err.printf(
          "[node] %s: registration deleted at %s, the Deployment's deletion began at %s (%d ms later)%n",
          how,
          registration.deleting,
          deployment.deleting,
          Duration.between(registration.deleting, deployment.deleting).toMillis());
      assertThat(registration.deleting)
          .as(
              "the registration's deletion ("
                  + registration.lines
                  + "), before the"
                  + " Deployment's ("
                  + deployment.lines
                  + ")")
          .isBefore(deployment.deleting);
    }

    @Override
    public void close() {
      registration.process.destroy();
      deployment.process.destroy();
    }
  }

  /**
   * {@code kubectl get --watch} of one object; the arrival time of its first event, and of the first that shows it
   * deleted or being deleted (a deletionTimestamp).
   */
  static final class Watch {
    final Process process;
    final List<String> lines = new CopyOnWriteArrayList<>();
    volatile Instant started;
    volatile Instant deleting;

    Watch(Node node, String... object) {
      List<String> cmd =
          new ArrayList<>(List.of(node.dir().resolve("bin").resolve("kubectl").toString(), "get"));
      cmd.addAll(List.of(object));
      // With --output-watch-events the columns' paths apply to the event ({type, object}), not to
      // the object.
      cmd.addAll(
          List.of(
              "--watch",
              "--output-watch-events",
              "-o",
              "custom-columns=EVENT:.type,NAME:.object.metadata.name,DELETING:.object.metadata.deletionTimestamp"));
      try {
        process =
            ChildEnv.apply(new ProcessBuilder(cmd), Node.env()).redirectErrorStream(true).start();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      Thread reader = new Thread(this::read, "watch " + String.join(" ", object));
      reader.setDaemon(true);
      reader.start();
    }

    private void read() {
      try (BufferedReader r =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          Instant now = Instant.now();
          lines.add(now + " " + line);
          String[] t = line.trim().split("\\s+");
          if (!List.of("ADDED", "MODIFIED", "DELETED").contains(t[0])) {
            continue; // the header
          }
          if (started == null) {
            started = now;
          }
          if (deleting == null
              && (t[0].equals("DELETED") || t.length > 2 && !t[2].equals("<none>"))) {
            deleting = now;
          }
        }
      } catch (IOException e) {
        lines.add("read failed: " + e);
      }
    }
  }
}
