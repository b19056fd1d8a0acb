package io.icrinjector.testing;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Puts the JVM-wide Kubernetes client settings back to the test defaults before every test class, so that what a
 * class sees does not depend on which classes ran before it.
 *
 * <p>Why it is needed: the resource behind {@code @WithKubernetesTestServer}
 * ({@code AbstractKubernetesTestResource.start()} in quarkus-test-kubernetes-client) does not only hand its settings
 * to its own application as configuration, it also writes each of them with {@code System.setProperty}:
 * {@code kubernetes.master} (the mock server's URL), {@code kubernetes.namespace=test},
 * {@code kubernetes.trust.certificates=true}, {@code quarkus.tls.trust-all=true}, {@code http2.disable=true} and
 * the two {@code kubernetes.auth.try*} switches. Its {@code stop()} only shuts the server down. fabric8's
 * auto-configuration, which Quarkus's client and every default-built client go through, reads those system
 * properties, so without this every later application (and every plain test) would talk to the dead mock port,
 * in namespace {@code test}, trusting any certificate.
 *
 * <p>Why before each class and not after: a class annotated with {@code @WithKubernetesTestServer}
 * ({@code restrictToAnnotatedClass = true}) always gets an application of its own, which
 * {@code QuarkusTestExtension.beforeAll} starts, with that class's server, after this callback has run; so the mock
 * server's properties are in place for exactly as long as its class runs. Resetting here covers whoever set them
 * (a test resource or a test) and whatever order JUnit picks.
 *
 * <p>Registered for every class through JUnit's extension auto-detection
 * ({@code META-INF/services/org.junit.jupiter.api.extension.Extension}; quarkus-junit's
 * {@code junit-platform.properties} turns auto-detection on). Auto-detected extensions are global, so this runs
 * before the extensions a class declares, {@code @QuarkusTest}'s included.
 */
public final class FreshKubernetesSettings implements BeforeAllCallback {

  /**
   * The settings every class starts from; {@code null} means unset. The first three are pom.xml's surefire and
   * failsafe values, repeated here so that a class run outside Maven (an IDE) cannot reach a cluster either: no
   * kubeconfig, no ServiceAccount, and a loopback port where nothing listens.
   */
  public static final Map<String, String> DEFAULTS = defaults();

  private static Map<String, String> defaults() {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("kubernetes.master", "https://127.0.0.1:1");
    d.put("kubernetes.auth.tryKubeConfig", "false");
    d.put("kubernetes.auth.tryServiceAccount", "false");
    // what the mock server's resource sets besides; unset, fabric8 and Quarkus use their own
    // defaults
    d.put("kubernetes.namespace", null);
    d.put("kubernetes.trust.certificates", null);
    d.put("quarkus.tls.trust-all", null);
    d.put("http2.disable", null);
    return Collections.unmodifiableMap(d);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    restore();
  }

  /** Writes {@link #DEFAULTS} into the system properties. */
  public static void restore() {
    DEFAULTS.forEach(
        (key, value) -> {
          if (value == null) {
            System.clearProperty(key);
          } else {
            System.setProperty(key, value);
          }
        });
  }
}
