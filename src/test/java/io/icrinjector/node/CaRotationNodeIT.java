package io.icrinjector.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.icrinjector.testing.ChildEnv;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The CA rotated to a new key on a real node, the way docs/operating.md#ca-rotation tells an administrator to: by
 * running {@code deploy/rotate-ca.sh} on the kustomize install, with kubectl and openssl, while pods are created five
 * times a second; stopped once while it waits for the replicas, and run again to the end. Meanwhile a watcher reads, again and again, the webhooks' caBundle and the certificate each replica
 * serves, and asserts what the API server needs throughout: every served certificate verifies against the caBundle
 * of that moment. Then: the CA's key is new, the bundle went old CA, both, new CA alone, every replica serves a
 * certificate of the new CA, and no pod was admitted unpatched or refused.
 *
 * <p>The load, the pods and the Secrets are read with {@link NodeE2EIT}'s helpers, through an instance of it bound to
 * this class's node (its tests do not run from here), so that both classes drive the node one way.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CaRotationNodeIT {

  static final String NS = NodeE2EIT.NS;
  static final Path SCRIPT = Path.of("deploy", "rotate-ca.sh");

  Node node;
  final NodeE2EIT suite = new NodeE2EIT();

  @BeforeAll
  void up() {
    node = Node.up();
    suite.node = node;
    node.importWebhookImage();
    node.kubectl("apply", "-k", Node.OVERLAY.toString());
    node.kubectl("rollout", "status", "deployment/icr-injector", "-n", NS, "--timeout=240s");
    node.kubectl(
        "wait", "certificate", "--all", "-n", NS, "--for=condition=Ready", "--timeout=120s");
    suite.awaitReadyReplicas(2);
    suite.namespace(NodeE2EIT.ENABLED, "enabled");
  }

  @AfterAll
  void down() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void theCaGetsANewKeyWhileTheApiServerTrustsEveryServedCertificateAndEveryPodIsPatched()
      throws Exception {
    X509Certificate oldCa = certificates(suite.secretFile("icr-injector-ca", "tls.crt")).get(0);
    Node.await(
        "the caBundle on the install's CA",
        Duration.ofSeconds(120),
        () -> caBundles().stream().allMatch(b -> b.equals(List.of(oldCa))));
    Path out = Files.createTempDirectory("icr-ca-rotation");
    Process load = suite.startLoad(out);
    Watcher watcher = new Watcher();
    Thread watching = new Thread(watcher, "ca-rotation-watcher");
    watching.start();
    String log;
    long seconds;
    try {
      NodeE2EIT.awaitMoreCreated(out, 5); // the load and the watcher run before the rotation starts
      Node.await("a first observation", Duration.ofSeconds(60), () -> !watcher.seen().isEmpty());
      long t0 = System.nanoTime();
      log = rotateStoppedAndResumed();
      seconds = (System.nanoTime() - t0) / 1_000_000_000L;
      NodeE2EIT.awaitMoreCreated(out, 5); // pods admitted after the rotation, with the new CA alone
      int after = watcher.seen().size();
      Node.await(
          "an observation after the rotation",
          Duration.ofSeconds(60),
          () -> watcher.seen().size() > after);
    } finally {
      watcher.stop.set(true);
      watching.join(
          60_000); // millis: the test classes compile for Java 17 too (make bench's JDK 17 column)
      Files.writeString(out.resolve("stop"), "");
      load.waitFor(60, TimeUnit.SECONDS);
    }
    System.err.println(log);
    NodeE2EIT.Load result = NodeE2EIT.Load.read(out);
    List<Observation> seen = watcher.seen();
    System.err.printf(
        "[node] CA rotation by deploy/rotate-ca.sh: %d s; pods created meanwhile: %d, unpatched:"
            + " %d, failed: %d; %d looks at the caBundle and the served certificates%n",
        seconds, result.created(), result.unpatched().size(), result.failed().size(), seen.size());

    X509Certificate newCa = certificates(suite.secretFile("icr-injector-ca", "tls.crt")).get(0);
    assertThat(newCa.getPublicKey())
        .as("the CA's key after the rotation")
        .isNotEqualTo(oldCa.getPublicKey());
    assertThat(caBundles())
        .as("both webhooks' caBundle at the end")
        .hasSize(2)
        .allSatisfy(b -> assertThat(b).containsExactly(newCa));
    List<String> ips = suite.podIps();
    assertThat(ips)
        .hasSize(2)
        .allSatisfy(
            ip ->
                assertThat(signedBy(served(ip), newCa))
                    .as("the certificate %s serves is signed by the new CA", ip)
                    .isTrue());
    assertThat(
            node.kubectl(
                "get",
                "certificate",
                "icr-injector-ca",
                "-n",
                NS,
                "-o",
                "jsonpath={.spec.privateKey.rotationPolicy}"))
        .as("the CA's rotationPolicy, put back")
        .isEqualTo("Never");
    assertThat(node.kubectl("get", "secrets", "-n", NS, "-o", "name"))
        .doesNotContain("icr-injector-ca-bundle");

    List<String> untrusted =
        seen.stream().filter(o -> !o.trusted()).map(o -> o.summary(oldCa, newCa)).toList();
    assertThat(untrusted)
        .as(
            "of %d looks, those in which a replica served a certificate that the caBundle of that"
                + " moment does not verify (the API server refuses it: with failurePolicy Ignore"
                + " the pod goes unpatched)",
            seen.size())
        .isEmpty();
    List<String> bundles = new ArrayList<>();
    for (Observation o : seen) {
      String b = o.describe(oldCa, newCa);
      if (bundles.isEmpty() || !bundles.get(bundles.size() - 1).equals(b)) {
        bundles.add(b);
      }
    }
    assertThat(bundles)
        .as("the caBundles in the order they were seen")
        .containsExactly("old", "old+new", "new");
    assertThat(seen.stream().map(o -> o.summary(oldCa, newCa)).distinct().toList())
        .as("a replica serving a certificate of the new CA while the bundle held both")
        .anyMatch(o -> o.startsWith("bundle old+new") && o.contains("by new"));

    result.assertAllPatched();
    assertThat(suite.restarts()).as("webhook container restarts").isZero();
  }

  /**
   * Runs deploy/rotate-ca.sh as an administrator would, twice: the first run is stopped while it waits for the
   * replicas (SIGTERM, as a closed session or Ctrl-C), the second goes on from there, as docs/operating.md says.
   * Returns both runs' output.
   */
  String rotateStoppedAndResumed() throws IOException, InterruptedException {
    Path firstLog = Files.createTempFile("rotate-ca-1", ".log");
    Process first = startRotation(firstLog);
    Node.await(
        "deploy/rotate-ca.sh waiting for the replicas (step 5)",
        Duration.ofMinutes(5),
        () -> read(firstLog).contains("5/6 ") || !first.isAlive());
    first.destroy();
    assertThat(first.waitFor(60, TimeUnit.SECONDS)).as("the stopped run ends").isTrue();
    String stopped = read(firstLog);
    assertThat(stopped)
        .as("the first run, stopped at step 5:%n%s", stopped)
        .contains("4/6 ")
        .doesNotContain("done:");
    assertThat(first.exitValue()).as("the first run's exit").isNotZero();

    Path secondLog = Files.createTempFile("rotate-ca-2", ".log");
    Process second = startRotation(secondLog);
    boolean done = second.waitFor(10, TimeUnit.MINUTES);
    String resumed = read(secondLog);
    if (!done) {
      second.destroyForcibly();
    }
    assertThat(done && second.exitValue() == 0)
        .as(
            "%s %s run again (exit %s):%n%s",
            SCRIPT, NS, done ? second.exitValue() : "none: still running after 10 min", resumed)
        .isTrue();
    assertThat(resumed)
        .as("the second run")
        .contains(
            "1/6 resuming",
            "2/6 Certificate icr-injector-ca has a new key",
            "4/6 Certificate icr-injector-tls is signed by the new CA already",
            "done:");
    return stopped + "--- run again:\n" + resumed;
  }

  /** deploy/rotate-ca.sh with kubectl (the node's kubeconfig) and openssl, its output (both streams) into {@code log}. */
  Process startRotation(Path log) throws IOException {
    Map<String, String> env =
        new LinkedHashMap<>(ChildEnv.withKubeconfig(node.dir().resolve("admin.kubeconfig")));
    env.put("PATH", io.icrinjector.e2e.ControlPlane.binaries() + ":" + env.get("PATH"));
    // Inside the node's network namespace, as the node's kubectl wrapper runs, so that the
    // port-forwards the script
    // opens are on the loopback of the namespace where its openssl runs. (nsenter execs bash:
    // destroy() reaches it.)
    return ChildEnv.apply(
            new ProcessBuilder(Node.inNamespace(List.of("bash", SCRIPT.toString(), NS))), env)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }

  static String read(Path log) {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The caBundle of each webhook of the configuration, as certificates. */
  List<List<X509Certificate>> caBundles() {
    List<List<X509Certificate>> bundles = new ArrayList<>();
    for (Map<String, Object> w :
        NodeE2EIT.items(
            Map.of(
                "items",
                node.json("get", "mutatingwebhookconfiguration", "icr-injector")
                    .get("webhooks")))) {
      String b64 = NodeE2EIT.string(w, "clientConfig", "caBundle");
      bundles.add(
          b64 == null
              ? List.of()
              : certificates(new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8)));
    }
    return bundles;
  }

  /** The certificate {@code ip}:8443 serves (read with openssl inside the node), or null if none was served. */
  static X509Certificate served(String ip) {
    String pem;
    try {
      pem =
          Node.run(
              Duration.ofSeconds(30),
              Node.inNamespace(
                  List.of(
                      "sh",
                      "-c",
                      "openssl s_client -connect "
                          + ip
                          + ":8443 </dev/null 2>/dev/null | openssl x509")),
              null);
    } catch (AssertionError nothingServed) {
      return null; // a replica going away (or not listening yet)
    }
    List<X509Certificate> certs = certificates(pem);
    return certs.isEmpty() ? null : certs.get(0);
  }

  static List<X509Certificate> certificates(String pem) {
    try {
      return CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))
          .stream()
          .map(X509Certificate.class::cast)
          .toList();
    } catch (GeneralSecurityException e) {
      throw new AssertionError("not PEM certificates: " + pem, e);
    }
  }

  static boolean signedBy(X509Certificate cert, X509Certificate ca) {
    return signedBy(cert, ca.getPublicKey());
  }

  static boolean signedBy(X509Certificate cert, PublicKey key) {
    try {
      cert.verify(key);
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /** One look at the first webhook's caBundle (both are written together) and at what each ready replica served. */
  record Observation(List<X509Certificate> bundle, List<X509Certificate> served) {
    /** Every served certificate verifies against a CA of the bundle read just before. */
    boolean trusted() {
      return served.stream().allMatch(c -> bundle.stream().anyMatch(ca -> signedBy(c, ca)));
    }

    /** "bundle old+new, served: by old, by new" and the like, short enough for a failure message. */
    String summary(X509Certificate oldCa, X509Certificate newCa) {
      return "bundle "
          + describe(oldCa, newCa)
          + ", served: "
          + String.join(
              ", ",
              served.stream()
                  .map(
                      c ->
                          signedBy(c, oldCa)
                              ? "by old"
                              : signedBy(c, newCa) ? "by new" : "by " + c.getIssuerX500Principal())
                  .toList());
    }

    /** "old", "new", "old+new" (or what else it holds). */
    String describe(X509Certificate oldCa, X509Certificate newCa) {
      return String.join(
          "+",
          bundle.stream()
              .map(
                  c ->
                      c.equals(oldCa)
                          ? "old"
                          : c.equals(newCa)
                              ? "new"
                              : c.getSubjectX500Principal()
                                  + "#"
                                  + c.getSerialNumber().toString(16))
              .toList());
    }
  }

  /** Reads the caBundle and the served certificates until stopped, as fast as kubectl and openssl answer. */
  final class Watcher implements Runnable {
    final AtomicBoolean stop = new AtomicBoolean();
    private final List<Observation> seen = new ArrayList<>();

    /** kubectl calls that failed (the API server busy for a moment): tolerated, and counted. */
    private final List<String> errors = new ArrayList<>();

    @Override
    public void run() {
      while (!stop.get()) {
        try {
          List<X509Certificate> bundle = caBundles().get(0);
          List<X509Certificate> served =
              suite.podIps().stream()
                  .map(CaRotationNodeIT::served)
                  .filter(java.util.Objects::nonNull)
                  .toList();
          synchronized (seen) {
            seen.add(new Observation(bundle, served));
          }
        } catch (RuntimeException | AssertionError e) {
          synchronized (seen) {
            errors.add(String.valueOf(e.getMessage()));
          }
        }
      }
    }

    List<Observation> seen() {
      synchronized (seen) {
        assertThat(errors).as("failed looks at the caBundle and the replicas").hasSizeLessThan(5);
        return List.copyOf(seen);
      }
    }
  }
}
