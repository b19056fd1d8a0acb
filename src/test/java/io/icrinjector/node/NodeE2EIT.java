package io.icrinjector.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.icrinjector.testing.ChildEnv;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The install as users run it, on a real node: the webhook's own image (built by {@code src/main/image/build.sh}),
 * installed with {@code kubectl apply -k} of the default {@code deploy/} with only the image reference changed,
 * its certificate issued and its CA injected by the real cert-manager, two replicas behind their Service, called by
 * the API server; a pod that pulls from the local us.icr.io with the copied {@code all-icr-io}; the same pull
 * without the secret refused; no pod admitted unpatched through a rollout and an eviction; pods created while the
 * webhook is scaled to zero, and found by the report afterwards; a renewed certificate served without a restart,
 * and a renewed CA, with every pod created meanwhile patched.
 *
 * <p>The order of the steps is on purpose ({@code @Order}): they are one administrator's session on one node, each
 * building on the state the one before left (the install, then pods in the namespace it opted in, then rollouts,
 * scaling and renewals of that install, and last the Helm chart replacing it). Bringing a node up takes minutes, so
 * the steps share it rather than each starting from scratch; run alone, a later step fails on the missing install.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NodeE2EIT {

  static final String NS = "icr-injector";
  static final String ENABLED = "node-enabled";
  static final String PLAIN = "node-plain";
  static final String SECRET = "all-icr-io";

  Node node;

  /** A tag that exists nowhere yet, so that every pull of this run really goes to the registry. */
  final String tag = "t" + System.currentTimeMillis();

  @BeforeAll
  void up() {
    node = Node.up();
    node.importWebhookImage();
    node.push("us.icr.io/acme/hello:" + tag);
  }

  @AfterAll
  void down() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  @Order(1)
  void installFromTheOverlayBringsBothReplicasReady() {
    long t0 = System.nanoTime();
    node.kubectl("apply", "-k", Node.OVERLAY.toString());
    node.kubectl("rollout", "status", "deployment/icr-injector", "-n", NS, "--timeout=240s");
    System.err.printf(
        "[node] kubectl apply -k to both replicas Ready: %.1f s%n", (System.nanoTime() - t0) / 1e9);
    GenericKubernetesResource deployment = node.object("get", "deployment/icr-injector", "-n", NS);
    assertThat(path(deployment, "status", "readyReplicas")).isEqualTo(2);
    List<Map<String, Object>> pods =
        items(node.json("get", "pods", "-n", NS, "-l", "app.kubernetes.io/name=icr-injector"));
    assertThat(pods)
        .hasSize(2)
        .allSatisfy(
            p -> {
              assertThat(string(p, "spec", "containers", 0, "image"))
                  .isEqualTo("icr-injector:node-e2e");
              assertThat(path(p, "status", "containerStatuses", 0, "restartCount")).isEqualTo(0);
              assertThat(path(p, "status", "containerStatuses", 0, "ready")).isEqualTo(true);
              // The image's AOT cache is mapped in a real pod under deploy/'s JVM options
              // (JDK_JAVA_OPTIONS, the container's
              // memory limit), not only in the build's chroot: the app says so once after start,
              // and the JVM reports no
              // AOT error (a cache that does not match would be ignored and say "NOT in use").
              String log = node.kubectl("logs", string(p, "metadata", "name"), "-n", NS);
              assertThat(log)
                  .as("log of " + string(p, "metadata", "name"))
                  .contains("AOT cache /deployments/app.aot: in use")
                  .doesNotContain("NOT in use", "[error][aot]");
            });
    // cert-manager: both Issuers and Certificates Ready, the CA injected into both webhooks, and
    // each replica
    // serving the certificate cert-manager issued.
    for (String kind : List.of("issuer", "certificate")) {
      assertThat(items(node.json("get", kind, "-n", NS)))
          .hasSize(2)
          .allSatisfy(
              o ->
                  assertThat(items(Map.of("items", path(o, "status", "conditions"))))
                      .anySatisfy(
                          c -> {
                            assertThat(c.get("type")).isEqualTo("Ready");
                            assertThat(c.get("status")).isEqualTo("True");
                          }));
    }
    Map<String, Object> webhooks = node.json("get", "mutatingwebhookconfiguration", "icr-injector");
    String ca = secretFile("icr-injector-tls", "ca.crt");
    assertThat(items(Map.of("items", webhooks.get("webhooks"))))
        .hasSize(2)
        .allSatisfy(
            w ->
                assertThat(
                        new String(
                            java.util.Base64.getDecoder()
                                .decode(string(w, "clientConfig", "caBundle"))))
                    .isEqualTo(ca));
    String issued = Node.serial(secretFile("icr-injector-tls", "tls.crt"));
    assertThat(podIps())
        .hasSize(2)
        .allSatisfy(ip -> assertThat(Node.servedSerial(ip, 8443)).isEqualTo(issued));
  }

  @Test
  @Order(2)
  void aDeprecatedImageRunsPulledFromIcrWithTheCopiedSecret() {
    namespace(ENABLED, "enabled");
    String old = "registry.ng.bluemix.net/acme/hello:" + tag;
    node.kubectl("create", "deployment", "hello", "-n", ENABLED, "--image=" + old);
    node.kubectl("rollout", "status", "deployment/hello", "-n", ENABLED, "--timeout=180s");
    Map<String, Object> pod =
        items(node.json("get", "pods", "-n", ENABLED, "-l", "app=hello")).get(0);
    String name = string(pod, "metadata", "name");
    assertThat(string(pod, "spec", "containers", 0, "image"))
        .isEqualTo("us.icr.io/acme/hello:" + tag);
    assertThat(string(pod, "spec", "imagePullSecrets", 0, "name")).isEqualTo(SECRET);
    assertThat(string(pod, "status", "phase")).isEqualTo("Running");
    List<Map<String, Object>> pulled =
        items(
            node.json(
                "get",
                "events",
                "-n",
                ENABLED,
                "--field-selector",
                "involvedObject.name=" + name + ",reason=Pulled"));
    assertThat(pulled)
        .as("Pulled events of " + name)
        .isNotEmpty()
        .anySatisfy(e -> assertThat(string(e, "message")).contains("us.icr.io/acme/hello:" + tag));
    GenericKubernetesResource copy = node.object("get", "secret", SECRET, "-n", ENABLED);
    assertThat(copy.getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/managed-by", "icr-injector");
    assertThat(copy.getMetadata().getAnnotations())
        .containsEntry("icr-injector.io/source", "default/" + SECRET);
  }

  @Test
  @Order(3)
  void theSameImageWithoutTheSecretIsRefusedByTheRegistry() {
    namespace(PLAIN, null);
    String image = "us.icr.io/acme/hello:" + tag;
    node.kubectl("run", "direct", "-n", PLAIN, "--image=" + image, "--restart=Never");
    Node.await(
        "a failed pull of " + image,
        Duration.ofSeconds(90),
        () ->
            items(
                    node.json(
                        "get",
                        "events",
                        "-n",
                        PLAIN,
                        "--field-selector",
                        "involvedObject.name=direct,reason=Failed"))
                .stream()
                .anyMatch(e -> string(e, "message").contains("401 Unauthorized")));
    Map<String, Object> pod = node.json("get", "pod", "direct", "-n", PLAIN);
    assertThat(path(pod, "spec", "imagePullSecrets")).isNull();
    assertThat(node.kubectl("get", "secrets", "-n", PLAIN, "-o", "name")).doesNotContain(SECRET);
  }

  @Test
  @Order(4)
  void noPodIsAdmittedUnpatchedThroughARolloutAndAnEviction() throws Exception {
    Path out = Files.createTempDirectory("icr-load");
    Process load = startLoad(out);
    try {
      awaitMoreCreated(out, 10); // the load runs before the rollout starts
      node.kubectl("rollout", "restart", "deployment/icr-injector", "-n", NS);
      node.kubectl("rollout", "status", "deployment/icr-injector", "-n", NS, "--timeout=240s");
      awaitReadyReplicas(2);
      // An eviction (what a drain does) goes through the PodDisruptionBudget: one of two replicas
      // may go, and
      // while it is replaced the other may not.
      List<String> pods = webhookPods();
      Map<String, Object> first = evict(pods.get(0));
      assertThat(first.get("status")).as("first eviction: " + first).isEqualTo("Success");
      Map<String, Object> second = evict(pods.get(1));
      assertThat(second.get("code"))
          .as("second eviction while the first is replaced: " + second)
          .isEqualTo(429);
      assertThat(string(second, "message")).contains("disruption budget");
      awaitReadyReplicas(2);
      awaitMoreCreated(out, 10); // and goes on through the replaced replicas
    } finally {
      Files.writeString(out.resolve("stop"), "");
      load.waitFor(60, TimeUnit.SECONDS);
    }
    Load result = Load.read(out);
    System.err.printf(
        "[node] pods created during the rollout and the eviction: %d, unpatched: %d, failed: %d%n",
        result.created, result.unpatched.size(), result.failed.size());
    result.assertAllPatched();
    assertThat(restarts()).as("webhook container restarts").isZero();
    node.kubectl("delete", "pods", "-n", ENABLED, "-l", "icr-test=load", "--wait=false");
  }

  @Test
  @Order(5)
  void withTheWebhookScaledToZeroPodsAreStillCreatedAndTheReportFindsThem() {
    node.kubectl("scale", "deployment/icr-injector", "-n", NS, "--replicas=0");
    node.kubectl(
        "wait",
        "--for=delete",
        "pod",
        "-n",
        NS,
        "-l",
        "app.kubernetes.io/name=icr-injector",
        "--timeout=120s");
    String old = "registry.ng.bluemix.net/acme/hello:" + tag;
    String created =
        node.kubectlWithInput(
            gatedPod("while-down", old), "create", "-n", ENABLED, "-f", "-", "-o", "json");
    @SuppressWarnings("unchecked")
    Map<String, Object> pod = Serialization.unmarshal(created, Map.class);
    assertThat(string(pod, "spec", "containers", 0, "image"))
        .as("failurePolicy Ignore: created as submitted")
        .isEqualTo(old);

    node.kubectl("scale", "deployment/icr-injector", "-n", NS, "--replicas=2");
    node.kubectl("rollout", "status", "deployment/icr-injector", "-n", NS, "--timeout=240s");
    awaitReadyReplicas(2);
    // The Deployment locks the management port (ICR_MANAGEMENT_AUTH=enabled), and the API server's
    // service proxy
    // forwards no caller token: read the report from a pod, with the token of a ServiceAccount
    // bound to the
    // report's reader role as an admin would bind one.
    node.kubectl("create", "serviceaccount", "report-reader", "-n", ENABLED);
    node.kubectl(
        "create",
        "clusterrolebinding",
        "report-reader-icr-injector",
        "--clusterrole=icr-injector-report-reader",
        "--serviceaccount=" + ENABLED + ":report-reader");
    String token = node.kubectl("create", "token", "report-reader", "-n", ENABLED).strip();
    String report =
        Node.run(
            Duration.ofSeconds(30),
            Node.inNamespace(
                List.of(
                    "curl",
                    "-sS",
                    "--fail-with-body",
                    "-H",
                    "Authorization: Bearer " + token,
                    "http://" + podIps().get(0) + ":9000/report")),
            null);
    assertThat(report).contains("while-down", old, "us.icr.io/acme/hello:" + tag);
  }

  @Test
  @Order(6)
  void aRenewedCertificateIsServedWithoutARestartAndEveryPodMeanwhileIsPatched() throws Exception {
    String before = Node.serial(secretFile("icr-injector-tls", "tls.crt"));
    Path out = Files.createTempDirectory("icr-renew");
    Process load = startLoad(out);
    long seconds;
    try {
      long t0 = System.nanoTime();
      renew("icr-injector-tls");
      Node.await(
          "a new certificate in icr-injector-tls",
          Duration.ofSeconds(60),
          () -> !Node.serial(secretFile("icr-injector-tls", "tls.crt")).equals(before));
      String after = Node.serial(secretFile("icr-injector-tls", "tls.crt"));
      // The kubelet refreshes the mounted secret (up to about a minute), then the app re-reads it
      // (reload period 1m).
      Node.await(
          "both replicas serving " + after, Duration.ofSeconds(240), () -> servedByBoth(after));
      seconds = (System.nanoTime() - t0) / 1_000_000_000L;
      awaitMoreCreated(out, 5); // pods admitted with the new certificate served
    } finally {
      Files.writeString(out.resolve("stop"), "");
      load.waitFor(60, TimeUnit.SECONDS);
    }
    Load result = Load.read(out);
    System.err.printf(
        "[node] renewal: new certificate served by both replicas %d s after the trigger; pods created"
            + " meanwhile %d, unpatched %d, failed %d%n",
        seconds, result.created, result.unpatched.size(), result.failed.size());
    result.assertAllPatched();
    assertThat(restarts()).as("webhook container restarts").isZero();
  }

  @Test
  @Order(7)
  void aRenewedCaKeepsItsKeySoTheCaBundleAndTheServedCertificateNeverDisagree() throws Exception {
    String caBefore = secretFile("icr-injector-ca", "tls.crt");
    Path out = Files.createTempDirectory("icr-ca");
    Process load = startLoad(out);
    try {
      renew("icr-injector-ca");
      Node.await(
          "a new CA certificate",
          Duration.ofSeconds(60),
          () ->
              !Node.serial(secretFile("icr-injector-ca", "tls.crt")).equals(Node.serial(caBefore)));
      String caAfter = secretFile("icr-injector-ca", "tls.crt");
      assertThat(Node.publicKey(caAfter))
          .as("rotationPolicy Never: the CA keeps its key")
          .isEqualTo(Node.publicKey(caBefore));
      // The serving certificate is reissued by the renewed CA; cainjector moves the caBundle to the
      // new CA
      // certificate at once, while the replicas still serve the old certificate for a minute or
      // two.
      String leafBefore = Node.serial(secretFile("icr-injector-tls", "tls.crt"));
      renew("icr-injector-tls");
      Node.await(
          "the caBundle on the renewed CA",
          Duration.ofSeconds(120),
          () ->
              items(
                      Map.of(
                          "items",
                          node.json("get", "mutatingwebhookconfiguration", "icr-injector")
                              .get("webhooks")))
                  .stream()
                  .allMatch(
                      w ->
                          new String(
                                  java.util.Base64.getDecoder()
                                      .decode(string(w, "clientConfig", "caBundle")))
                              .equals(caAfter)));
      Node.await(
          "a serving certificate from the renewed CA",
          Duration.ofSeconds(60),
          () -> !Node.serial(secretFile("icr-injector-tls", "tls.crt")).equals(leafBefore));
      String leafAfter = Node.serial(secretFile("icr-injector-tls", "tls.crt"));
      Node.await(
          "both replicas serving " + leafAfter,
          Duration.ofSeconds(240),
          () -> servedByBoth(leafAfter));
      awaitMoreCreated(out, 5); // pods admitted with the certificate of the renewed CA served
    } finally {
      Files.writeString(out.resolve("stop"), "");
      load.waitFor(60, TimeUnit.SECONDS);
    }
    Load result = Load.read(out);
    System.err.printf(
        "[node] CA renewal, then the serving certificate: pods created meanwhile %d, unpatched %d,"
            + " failed %d%n",
        result.created, result.unpatched.size(), result.failed.size());
    result.assertAllPatched();
    assertThat(restarts()).as("webhook container restarts").isZero();
  }

  /**
   * The Helm chart, as README's Install says: the kustomize install removed, then {@code helm install
   * --create-namespace} with only the image changed; the webhook patches a pod, {@code helm test} passes (its pod
   * asks the Service for readiness), and {@code helm uninstall} takes the webhook registration away.
   */
  @Test
  @Order(8)
  void theHelmChartInstallsTheSameWebhookPassesItsTestAndUninstalls() {
    node.kubectl("delete", "-k", Node.OVERLAY.toString(), "--wait=true", "--timeout=240s");
    Node.await(
        "namespace " + NS + " gone",
        Duration.ofSeconds(240),
        () -> !node.kubectl("get", "namespaces", "-o", "name").contains("namespace/" + NS + "\n"));
    long t0 = System.nanoTime();
    try {
      node.helm(
          "install",
          "icr-injector",
          "deploy/helm/icr-injector",
          "--namespace",
          NS,
          "--create-namespace",
          "--set",
          "image.repository=icr-injector",
          "--set",
          "image.tag=node-e2e",
          "--set",
          "tests.image=us.icr.io/acme/hello:" + tag,
          "--set",
          "tests.imagePullSecrets[0].name=node-pull",
          "--wait",
          "--timeout=330s");
    } catch (AssertionError e) {
      // Say why: the pods and the namespace's events (a slow start on a loaded machine, a pull, a
      // volume).
      throw new AssertionError(
          e.getMessage() + "\n" + node.kubectl("get", "pods,events", "-n", NS, "-o", "wide"), e);
    }
    System.err.printf(
        "[node] helm install to both replicas Ready: %.1f s%n", (System.nanoTime() - t0) / 1e9);
    assertThat(node.object("get", "deployment/icr-injector", "-n", NS).getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/managed-by", "Helm");
    assertThat(readyWebhookPods())
        .hasSize(2)
        .allSatisfy(
            p ->
                assertThat(string(p, "spec", "containers", 0, "image"))
                    .isEqualTo("icr-injector:node-e2e"));
    // cainjector fills the new registration's caBundle shortly after; until then the API server
    // fails open.
    String old = "registry.ng.bluemix.net/acme/hello:" + tag;
    Node.await(
        "a pod patched through the chart's webhook",
        Duration.ofSeconds(120),
        () -> {
          Map<String, Object> pod =
              Serialization.unmarshal(
                  node.kubectl(
                      "run",
                      "chart-check",
                      "-n",
                      ENABLED,
                      "--image=" + old,
                      "--restart=Never",
                      "--dry-run=server",
                      "-o",
                      "json"),
                  Map.class);
          return ("us.icr.io/acme/hello:" + tag)
                  .equals(string(pod, "spec", "containers", 0, "image"))
              && SECRET.equals(string(pod, "spec", "imagePullSecrets", 0, "name"));
        });
    // The test pod pulls the busybox image from the local us.icr.io with a copy of the source
    // secret (the webhook
    // never copies into its own namespace).
    GenericKubernetesResource source = node.object("get", "secret", SECRET, "-n", "default");
    String pull =
        Serialization.asJson(
            Map.of(
                "apiVersion",
                "v1",
                "kind",
                "Secret",
                "metadata",
                Map.of("name", "node-pull", "namespace", NS),
                "type",
                source.get("type"),
                "data",
                source.get("data")));
    node.kubectlWithInput(pull, "create", "-f", "-");
    String test;
    try {
      // No --logs: the pod is gone once it succeeded (hook-delete-policy hook-succeeded), and helm
      // then fails.
      test = node.helm("test", "icr-injector", "--namespace", NS, "--timeout=180s");
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\n" + testPodStory(), e);
    }
    assertThat(test).contains("icr-injector-test-service").contains("Succeeded");
    node.helm("uninstall", "icr-injector", "--namespace", NS, "--wait", "--timeout=180s");
    assertThat(node.kubectl("get", "mutatingwebhookconfigurations", "-o", "name"))
        .doesNotContain("icr-injector");
    assertThat(node.kubectl("get", "deployments", "-n", NS, "-o", "name")).isBlank();
  }

  // --- helpers

  /** What became of a failed {@code helm test} pod (it stays: hook-delete-policy hook-succeeded), as far as known. */
  private String testPodStory() {
    StringBuilder story = new StringBuilder();
    for (List<String> cmd :
        List.of(
            List.of("describe", "pod", "icr-injector-test-service", "-n", NS),
            List.of("logs", "icr-injector-test-service", "-n", NS),
            List.of("get", "events", "-n", NS))) {
      try {
        story
            .append("kubectl ")
            .append(String.join(" ", cmd))
            .append(":\n")
            .append(node.kubectl(cmd.toArray(String[]::new)))
            .append('\n');
      } catch (AssertionError e) {
        story.append(e.getMessage()).append('\n');
      }
    }
    return story.toString();
  }

  /** Asks cert-manager to reissue a Certificate now, as {@code cmctl renew} does (an Issuing condition). */
  void renew(String certificate) {
    node.kubectl(
        "patch",
        "certificate",
        certificate,
        "-n",
        NS,
        "--subresource=status",
        "--type=json",
        "-p",
        "[{\"op\":\"add\",\"path\":\"/status/conditions/-\",\"value\":{\"type\":\"Issuing\",\"status\":\"True\","
            + "\"reason\":\"ManuallyTriggered\",\"message\":\"reissued by the node suite\",\"lastTransitionTime\":\""
            + java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
            + "\"}}]");
  }

  /** A file of a Secret in the webhook's namespace, decoded. */
  String secretFile(String secret, String key) {
    String b64 =
        node.kubectl(
            "get",
            "secret",
            secret,
            "-n",
            NS,
            "-o",
            "jsonpath={.data." + key.replace(".", "\\.") + "}");
    return new String(
        java.util.Base64.getDecoder().decode(b64.strip()), java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Both ready replicas serve the certificate with this serial. */
  boolean servedByBoth(String serial) {
    List<String> ips = podIps();
    return ips.size() == 2
        && ips.stream().allMatch(ip -> Node.servedSerial(ip, 8443).equals(serial));
  }

  /** The pod IPs of the ready webhook replicas. */
  List<String> podIps() {
    return readyWebhookPods().stream().map(p -> string(p, "status", "podIP")).toList();
  }

  /** What the load of {@link #startLoad} created: every create's HTTP status and admitted pod. */
  record Load(int created, List<String> unpatched, List<String> failed) {
    static Load read(Path out) throws IOException {
      int created = 0;
      List<String> unpatched = new ArrayList<>();
      List<String> failed = new ArrayList<>();
      try (var files = Files.list(out)) {
        for (Path code : files.filter(f -> f.toString().endsWith(".code")).toList()) {
          String status = Files.readString(code).strip();
          Path body = Path.of(code.toString().replace(".code", ".json"));
          if (!status.equals("201")) {
            failed.add(status + " " + (Files.exists(body) ? Files.readString(body) : ""));
            continue;
          }
          created++;
          @SuppressWarnings("unchecked")
          Map<String, Object> pod = Serialization.unmarshal(Files.readString(body), Map.class);
          if (!string(pod, "spec", "containers", 0, "image").startsWith("us.icr.io/")
              || path(pod, "spec", "imagePullSecrets") == null) {
            unpatched.add(string(pod, "metadata", "name"));
          }
        }
      }
      return new Load(created, unpatched, failed);
    }

    void assertAllPatched() {
      assertThat(failed).as("pod creates that failed").isEmpty();
      assertThat(created).as("pods created throughout").isGreaterThan(20);
      assertThat(unpatched).as("pods admitted unpatched").isEmpty();
    }
  }

  /** Creates pods in the enabled namespace about five times a second until {@code out/stop} exists (at most 2,000). */
  Process startLoad(Path out) throws IOException {
    Path pki = node.dir().resolve("pki");
    String pod = gatedPod(null, "registry.ng.bluemix.net/acme/hello:" + tag).replace("\n", " ");
    String script =
        String.join(
            "\n",
            "i=0",
            "while [ ! -e '" + out + "/stop' ] && [ $i -lt 2000 ]; do",
            "  i=$((i+1))",
            "  curl -s -m 20 -o '"
                + out
                + "/'$i.json -w '%{http_code}' --cacert '"
                + pki
                + "/ca.crt' --cert '"
                + pki
                + "/admin.crt' --key '"
                + pki
                + "/admin.key' -H 'Content-Type: application/json' -X POST"
                + " https://10.213.0.1:6443/api/v1/namespaces/"
                + ENABLED
                + "/pods -d '"
                + pod
                + "' > '"
                + out
                + "/'$i.code &",
            "  sleep 0.2",
            "done",
            "wait");
    return ChildEnv.apply(
            new ProcessBuilder(Node.inNamespace(List.of("bash", "-c", script))), Node.env())
        .redirectErrorStream(true)
        .redirectOutput(out.resolve("load.log").toFile())
        .start();
  }

  /** How many pods the load of {@link #startLoad} has created so far (creates answered 201). */
  static long created(Path out) {
    try (var files = Files.list(out)) {
      return files
          .filter(f -> f.toString().endsWith(".code"))
          .filter(
              f -> {
                try {
                  return Files.readString(f).strip().equals("201");
                } catch (IOException e) {
                  return false;
                }
              })
          .count();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * Waits until the load has created {@code n} more pods than it had now: the positive signal that pods went through
   * the state the test just reached (instead of sleeping and hoping some did).
   */
  static void awaitMoreCreated(Path out, int n) {
    long before = created(out);
    Node.await(
        n + " more pods created by the load (" + before + " so far)",
        Duration.ofSeconds(90),
        () -> created(out) >= before + n);
  }

  /** A pod that is never scheduled (a scheduling gate), so that creating many costs the node nothing. */
  static String gatedPod(String name, String image) {
    String meta =
        name == null
            ? "\"generateName\": \"load-\", \"labels\": {\"icr-test\": \"load\"}"
            : "\"name\": \"" + name + "\"";
    return "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {"
        + meta
        + "},\n"
        + "\"spec\": {\"schedulingGates\": [{\"name\": \"icr-injector.io/never\"}],\n"
        + "\"containers\": [{\"name\": \"hello\", \"image\": \""
        + image
        + "\"}]}}";
  }

  @SuppressWarnings("unchecked")
  Map<String, Object> evict(String pod) {
    String body =
        "{\"apiVersion\": \"policy/v1\", \"kind\": \"Eviction\", \"metadata\": {\"name\": \""
            + pod
            + "\", \"namespace\": \""
            + NS
            + "\"}}";
    List<String> cmd =
        Node.inNamespace(
            List.of(
                "curl",
                "-s",
                "--cacert",
                node.dir().resolve("pki/ca.crt").toString(),
                "--cert",
                node.dir().resolve("pki/admin.crt").toString(),
                "--key",
                node.dir().resolve("pki/admin.key").toString(),
                "-H",
                "Content-Type: application/json",
                "-X",
                "POST",
                "-d",
                body,
                "https://10.213.0.1:6443/api/v1/namespaces/" + NS + "/pods/" + pod + "/eviction"));
    return Serialization.unmarshal(Node.run(Duration.ofSeconds(30), cmd, null), Map.class);
  }

  /** The webhook's pods that are Ready and not terminating (a rollout leaves old ones in their preStop sleep). */
  List<String> webhookPods() {
    return readyWebhookPods().stream().map(p -> string(p, "metadata", "name")).toList();
  }

  List<Map<String, Object>> readyWebhookPods() {
    return items(node.json("get", "pods", "-n", NS, "-l", "app.kubernetes.io/name=icr-injector"))
        .stream()
        .filter(p -> path(p, "metadata", "deletionTimestamp") == null)
        .filter(p -> Boolean.TRUE.equals(path(p, "status", "containerStatuses", 0, "ready")))
        .toList();
  }

  void awaitReadyReplicas(int n) {
    Node.await(
        n + " ready webhook pods", Duration.ofSeconds(180), () -> readyWebhookPods().size() == n);
  }

  int restarts() {
    return items(node.json("get", "pods", "-n", NS, "-l", "app.kubernetes.io/name=icr-injector"))
        .stream()
        .mapToInt(
            p -> ((Number) path(p, "status", "containerStatuses", 0, "restartCount")).intValue())
        .sum();
  }

  void namespace(String name, String mode) {
    node.kubectl("create", "namespace", name);
    if (mode != null) {
      node.kubectl("label", "namespace", name, "icr-injector.io/inject=" + mode);
    }
    Node.await(
        "ServiceAccount " + name + "/default",
        Duration.ofSeconds(60),
        () ->
            node.kubectl("get", "serviceaccounts", "-n", name, "-o", "name")
                .contains("serviceaccount/default"));
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> items(Map<String, Object> list) {
    return (List<Map<String, Object>>) list.get("items");
  }

  static String string(Object root, Object... keys) {
    Object v = path(root, keys);
    return v == null ? null : v.toString();
  }

  static Object path(GenericKubernetesResource r, Object... keys) {
    return path(Serialization.unmarshal(Serialization.asJson(r), Map.class), keys);
  }

  /** Walks maps by key and lists by index; null when any step is missing. */
  @SuppressWarnings("unchecked")
  static Object path(Object root, Object... keys) {
    Object cur = root;
    for (Object k : keys) {
      if (cur instanceof Map<?, ?> m && k instanceof String s) {
        cur = ((Map<String, Object>) m).get(s);
      } else if (cur instanceof List<?> l && k instanceof Integer i && i < l.size()) {
        cur = l.get(i);
      } else {
        return null;
      }
    }
    return cur;
  }
}
