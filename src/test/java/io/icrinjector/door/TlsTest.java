package io.icrinjector.door;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.icrinjector.handler.Endpoint;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/** HTTPS with a certificate from certs/gen.sh, and a rotated certificate served without a restart. */
@QuarkusTest
@TestProfile(TlsProfile.class)
class TlsTest {

  @Test
  void answersOverTlsAndServesARotatedCertificateWithoutRestart() throws Exception {
    Path dir = TlsProfile.dir;
    X509Certificate first = read(dir.resolve("tls.crt"));
    assertThat(servedSerial(dir.resolve("ca.crt"))).isEqualTo(first.getSerialNumber());
    assertThat(postReview(dir.resolve("ca.crt")))
        .contains("\"allowed\":true")
        .contains("\"patchType\":\"JSONPatch\"");

    TlsProfile.generate(
        dir, true); // a new CA and certificate, as cert-manager's renewal replaces the files
    X509Certificate second = read(dir.resolve("tls.crt"));
    assertThat(second.getSerialNumber()).isNotEqualTo(first.getSerialNumber());

    // The key store is re-read every second (reload-period); until then the old certificate is
    // served, and it does
    // not verify against the new CA: that handshake failure is "not yet", anything else fails the
    // test.
    await("the rotated certificate is served")
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(250))
        .ignoreExceptionsInstanceOf(SSLException.class)
        .untilAsserted(
            () ->
                assertThat(servedSerial(dir.resolve("ca.crt")))
                    .as("serial served after rotation")
                    .isEqualTo(second.getSerialNumber()));
    assertThat(postReview(dir.resolve("ca.crt"))).contains("\"allowed\":true");
  }

  @Test
  void plainHttpIsOffWhenTlsIsConfigured() {
    int httpPort =
        TlsProfile
            .httpPort; // free when Quarkus started: had plain HTTP been on, it would listen there
    HttpClient client = HttpClient.newHttpClient();
    assertThatThrownBy(
            () ->
                client.send(
                    HttpRequest.newBuilder(
                            URI.create("http://localhost:" + httpPort + Endpoint.MUTATE.path()))
                        .POST(HttpRequest.BodyPublishers.ofString("{}"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(ConnectException.class);
  }

  static int httpsPort() {
    // the port Quarkus bound (quarkus.http.test-ssl-port=0 in the test application.properties)
    return ConfigProvider.getConfig().getValue("quarkus.http.test-ssl-port", Integer.class);
  }

  static String postReview(Path ca) throws Exception {
    HttpClient client =
        HttpClient.newBuilder()
            .sslContext(trusting(ca))
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    HttpResponse<String> response =
        client.send(
            HttpRequest.newBuilder(
                    URI.create("https://localhost:" + httpsPort() + Endpoint.MUTATE.path()))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Reviews.fixture("create-us-south.json")))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return response.body();
  }

  /** A fresh TLS handshake (no session reuse) and the serial of the certificate the server presents. */
  static BigInteger servedSerial(Path ca) throws Exception {
    try (SSLSocket socket =
        (SSLSocket) trusting(ca).getSocketFactory().createSocket("localhost", httpsPort())) {
      socket.setSoTimeout(5000);
      socket.startHandshake();
      return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
    }
  }

  static SSLContext trusting(Path ca) throws Exception {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    trust.setCertificateEntry("ca", read(ca));
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }

  static X509Certificate read(Path pem) throws Exception {
    try (InputStream in = Files.newInputStream(pem)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }
}
