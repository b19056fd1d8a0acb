package io.icrinjector.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ImageReferenceTest {

  private static final String SHA = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

  static Stream<Arguments> valid() {
    return Stream.of(
        // name, raw, host, port, path, tag, digest, registryHost
        Arguments.of("bare name", "nginx", null, null, "nginx", null, null, "docker.io"),
        Arguments.of("bare name with tag", "nginx:1.25", null, null, "nginx", "1.25", null, "docker.io"),
        Arguments.of("docker hub user repo", "library/nginx", null, null, "library/nginx", null, null, "docker.io"),
        Arguments.of("ibm regional host", "registry.ng.bluemix.net/acme/app:1.0", "registry.ng.bluemix.net", null,
            "acme/app", "1.0", null, "registry.ng.bluemix.net"),
        Arguments.of("host with port", "registry.ng.bluemix.net:443/acme/app", "registry.ng.bluemix.net", "443",
            "acme/app", null, null, "registry.ng.bluemix.net"),
        Arguments.of("localhost with port", "localhost:5000/app", "localhost", "5000", "app", null, null, "localhost"),
        Arguments.of("localhost alone", "localhost/app", "localhost", null, "app", null, null, "localhost"),
        Arguments.of("upper-case host", "REGISTRY.NG.BLUEMIX.NET/acme/app", "REGISTRY.NG.BLUEMIX.NET", null,
            "acme/app", null, null, "registry.ng.bluemix.net"),
        Arguments.of("digest only", "us.icr.io/acme/app@" + SHA, "us.icr.io", null, "acme/app", null, SHA, "us.icr.io"),
        Arguments.of("tag and digest", "us.icr.io/acme/app:v2@" + SHA, "us.icr.io", null, "acme/app", "v2", SHA,
            "us.icr.io"),
        Arguments.of("deep path", "icr.io/a/b/c/d:x", "icr.io", null, "a/b/c/d", "x", null, "icr.io"),
        Arguments.of("separators in path", "icr.io/a__b/c-d.e_f:t", "icr.io", null, "a__b/c-d.e_f", "t", null, "icr.io"),
        Arguments.of("ipv4 host", "10.0.0.1:5000/app:1", "10.0.0.1", "5000", "app", "1", null, "10.0.0.1"),
        Arguments.of("ipv6 host", "[::1]:5000/app", "[::1]", "5000", "app", null, null, "[::1]"),
        Arguments.of("host in path is path", "docker.io/registry.ng.bluemix.net/app", "docker.io", null,
            "registry.ng.bluemix.net/app", null, null, "docker.io"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("valid")
  void parsesValidReferences(String name, String raw, String host, String port, String path, String tag,
      String digest, String registryHost) {
    ImageReference ref = ImageReference.parse(raw);
    assertThat(ref.raw()).isEqualTo(raw);
    assertThat(ref.host()).isEqualTo(host);
    assertThat(ref.port()).isEqualTo(port);
    assertThat(ref.path()).isEqualTo(path);
    assertThat(ref.tag()).isEqualTo(tag);
    assertThat(ref.digest()).isEqualTo(digest);
    assertThat(ref.registryHost()).isEqualTo(registryHost);
  }

  static Stream<Arguments> invalid() {
    return Stream.of(
        Arguments.of("empty", "", "empty"),
        Arguments.of("upper-case path", "icr.io/Acme/app", "path component"),
        Arguments.of("bad tag", "icr.io/acme/app:-x", "tag"),
        Arguments.of("short digest", "icr.io/acme/app@sha256:abc", "digest"),
        Arguments.of("empty path component", "icr.io/acme//app", "path component"),
        Arguments.of("trailing slash", "icr.io/acme/", "path component"),
        Arguments.of("non-numeric port", "icr.io:https/app", "port"),
        Arguments.of("host only", "icr.io/", "missing repository name"),
        Arguments.of("space", "icr.io/acme/app :1", "path component"),
        Arguments.of("host label ends with dash", "bad-.example.com/app", "host"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalid")
  void rejectsInvalidReferencesNamingTheProblem(String name, String raw, String named) {
    assertThatThrownBy(() -> ImageReference.parse(raw))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(named);
  }

  static Stream<Arguments> hostSwaps() {
    return Stream.of(
        Arguments.of("tag kept", "registry.ng.bluemix.net/acme/app:1.0", "us.icr.io/acme/app:1.0"),
        Arguments.of("digest kept", "registry.ng.bluemix.net/acme/app@" + SHA, "us.icr.io/acme/app@" + SHA),
        Arguments.of("tag and digest kept", "registry.ng.bluemix.net/a/b:t@" + SHA, "us.icr.io/a/b:t@" + SHA),
        Arguments.of("explicit 443 dropped", "registry.ng.bluemix.net:443/acme/app:1", "us.icr.io/acme/app:1"),
        Arguments.of("upper-case host", "Registry.NG.bluemix.net/acme/app", "us.icr.io/acme/app"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostSwaps")
  void swapsOnlyTheHost(String name, String raw, String expected) {
    assertThat(ImageReference.parse(raw).withHost("us.icr.io")).isEqualTo(expected);
  }
}
