package io.icrinjector.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The certificate settings that the CA rotation procedure ({@code deploy/rotate-ca.sh}, docs/operating.md "CA
 * rotation") and the renewal under load rely on, pinned in {@code deploy/} and in the chart's default render. A field
 * that changes, or goes (cert-manager 1.18 and later default {@code rotationPolicy} to {@code Always}, so a dropped
 * line is a real change even where this cluster's v1.11 would not notice), fails here with what to re-check, instead
 * of surfacing as pods admitted unpatched at the next renewal.
 */
class CertificateRotationManifestTest {

  static final String NS = "icr-injector";
  static final String DOC = "docs/operating.md#ca-rotation";

  /** One pinned field: the object (kind/namespace/name), its path, the value it must have, and why. */
  record Pin(String object, String path, Object value, String why) {}

  static final List<Pin> PINS =
      List.of(
          new Pin(
              "Issuer/" + NS + "/icr-injector-selfsigned",
              "spec.selfSigned",
              Map.of(),
              "the CA signs itself; the rotation renews it in place"),
          new Pin(
              "Certificate/" + NS + "/icr-injector-ca",
              "spec.isCA",
              true,
              "the chain is CA -> serving certificate"),
          new Pin(
              "Certificate/" + NS + "/icr-injector-ca",
              "spec.secretName",
              "icr-injector-ca",
              "the CA Issuer and deploy/rotate-ca.sh read the CA from this Secret"),
          new Pin(
              "Certificate/" + NS + "/icr-injector-ca",
              "spec.issuerRef",
              Map.of("kind", "Issuer", "name", "icr-injector-selfsigned"),
              "the CA is self-signed"),
          new Pin(
              "Certificate/" + NS + "/icr-injector-ca",
              "spec.duration",
              "87600h",
              "a CA renewal is rare (10 years) and the docs say so"),
          new Pin(
              "Certificate/" + NS + "/icr-injector-ca",
              "spec.renewBefore",
              null,
              "cert-manager's default (a third of the duration) is what the docs describe"),
          new Pin(
              "Certificate/" + NS + "/icr-injector-ca",
              "spec.privateKey.rotationPolicy",
              "Never",
              "a renewal of the CA must keep its key: with Always (cert-manager >= 1.18's default"
                  + " when the line is missing) every CA renewal changes the key without the two-CA"
                  + " caBundle window, and pods are admitted unpatched until every replica serves a"
                  + " certificate of the new key; deploy/rotate-ca.sh sets Always for one renewal"
                  + " and puts Never back"),
          new Pin(
              "Certificate/" + NS + "/icr-injector-ca",
              "spec.privateKey.algorithm",
              "ECDSA",
              "the key type the docs and deploy/rotate-ca.sh's checks (openssl) expect"),
          new Pin("Certificate/" + NS + "/icr-injector-ca", "spec.privateKey.size", 256, "P-256"),
          new Pin(
              "Issuer/" + NS + "/icr-injector-ca",
              "spec.ca.secretName",
              "icr-injector-ca",
              "serving certificates are signed with the key in this Secret"),
          new Pin(
              "Certificate/" + NS + "/icr-injector-tls",
              "spec.secretName",
              "icr-injector-tls",
              "the pods mount it and cainjector reads its ca.crt"),
          new Pin(
              "Certificate/" + NS + "/icr-injector-tls",
              "spec.issuerRef",
              Map.of("kind", "Issuer", "name", "icr-injector-ca"),
              "the serving certificate chains to the CA"),
          new Pin(
              "Certificate/" + NS + "/icr-injector-tls",
              "spec.duration",
              "2160h",
              "90 days, as the docs say"),
          new Pin(
              "Certificate/" + NS + "/icr-injector-tls",
              "spec.renewBefore",
              "720h",
              "renewed 30 days before its end, as the docs say"),
          new Pin(
              "Certificate/" + NS + "/icr-injector-tls",
              "spec.privateKey.rotationPolicy",
              "Always",
              "a new serving key at every renewal, which the CA (unchanged) still verifies"),
          new Pin(
              "Certificate/" + NS + "/icr-injector-tls",
              "spec.privateKey.algorithm",
              "ECDSA",
              "the key type the app loads"),
          new Pin("Certificate/" + NS + "/icr-injector-tls", "spec.privateKey.size", 256, "P-256"),
          new Pin(
              "Certificate/" + NS + "/icr-injector-tls",
              "spec.privateKey.encoding",
              "PKCS8",
              "the JVM's PEM loading reads PKCS#8"),
          new Pin(
              "MutatingWebhookConfiguration//icr-injector",
              "metadata.annotations.cert-manager\\.io/inject-ca-from",
              NS + "/icr-injector-tls",
              "cainjector keeps the caBundle on the serving certificate's CA; deploy/rotate-ca.sh"
                  + " swaps this annotation for inject-ca-from-secret during the window and puts it"
                  + " back"),
          new Pin(
              "Deployment/" + NS + "/icr-injector",
              "env.quarkus.tls.webhook.reload-period",
              "1m",
              "how soon a replica serves a renewed certificate, which the rotation waits for"));

  static List<Arguments> installs() {
    Supplier<Map<String, Map<String, Object>>> kustomize = () -> HelmChart.kustomize("deploy");
    Supplier<Map<String, Map<String, Object>>> chart = HelmChart::template;
    return List.of(
        Arguments.of("kubectl kustomize deploy", kustomize),
        Arguments.of("helm template deploy/helm/icr-injector (defaults)", chart));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("installs")
  void theRotationSettingsAreThoseTheProcedureWasProvenWith(
      String render, Supplier<Map<String, Map<String, Object>>> install) {
    Map<String, Map<String, Object>> objects = install.get();
    List<String> changed = new ArrayList<>();
    for (Pin pin : PINS) {
      Map<String, Object> object = objects.get(pin.object());
      if (object == null) {
        changed.add(pin.object() + " is not in the render (" + pin.why() + ")");
        continue;
      }
      Object actual =
          pin.path().startsWith("env.")
              ? env(object, pin.path().substring(4))
              : at(object, pin.path());
      if (!Objects.equals(normal(actual), normal(pin.value()))) {
        changed.add(
            pin.object()
                + " "
                + pin.path()
                + " is "
                + (actual == null ? "(not set)" : actual)
                + ", pinned "
                + (pin.value() == null ? "(not set)" : pin.value())
                + ": "
                + pin.why());
      }
    }
    assertThat(changed)
        .as(
            "The certificate rotation settings of %s changed. Re-check %s (the order of the CA"
                + " rotation, the renewal figures) and deploy/rotate-ca.sh against the new"
                + " settings, run the node suite's CaRotationNodeIT, then update the pins in %s",
            render, DOC, getClass().getSimpleName())
        .isEmpty();
  }

  /** Numbers compare by value (YAML gives Integer or Long), everything else as parsed. */
  static Object normal(Object value) {
    return value instanceof Number n ? n.longValue() : value;
  }

  /** Follows a dotted path of map keys ({@code \.} is a dot inside a key); null when a step is missing. */
  @SuppressWarnings("unchecked")
  static Object at(Map<String, Object> object, String path) {
    Object cur = object;
    for (String key : path.split("(?<!\\\\)\\.")) {
      if (!(cur instanceof Map<?, ?> map)) {
        return null;
      }
      cur = ((Map<String, Object>) map).get(key.replace("\\.", "."));
    }
    return cur;
  }

  /** The value of one environment variable of the Deployment's first container. */
  @SuppressWarnings("unchecked")
  static Object env(Map<String, Object> deployment, String name) {
    List<Map<String, Object>> containers =
        (List<Map<String, Object>>) at(deployment, "spec.template.spec.containers");
    List<Map<String, Object>> env = (List<Map<String, Object>>) containers.get(0).get("env");
    return env.stream()
        .filter(e -> name.equals(e.get("name")))
        .map(e -> e.get("value"))
        .findFirst()
        .orElse(null);
  }
}
