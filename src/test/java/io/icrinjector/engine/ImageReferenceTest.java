package io.icrinjector.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ImageReferenceTest {

  private static final String SHA =
      "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

  static Stream<Arguments> valid() {
    return Stream.of(
        // name, raw, host, port, path, tag, digest, registryHost
        Arguments.of("bare name", "nginx", null, null, "nginx", null, null, "docker.io"),
        Arguments.of(
            "bare name with tag", "nginx:1.25", null, null, "nginx", "1.25", null, "docker.io"),
        Arguments.of(
            "docker hub user repo",
            "library/nginx",
            null,
            null,
            "library/nginx",
            null,
            null,
            "docker.io"),
        Arguments.of(
            "ibm regional host",
            "registry.ng.bluemix.net/acme/app:1.0",
            "registry.ng.bluemix.net",
            null,
            "acme/app",
            "1.0",
            null,
            "registry.ng.bluemix.net"),
        Arguments.of(
            "host with port",
            "registry.ng.bluemix.net:443/acme/app",
            "registry.ng.bluemix.net",
            "443",
            "acme/app",
            null,
            null,
            "registry.ng.bluemix.net"),
        Arguments.of(
            "localhost with port",
            "localhost:5000/app",
            "localhost",
            "5000",
            "app",
            null,
            null,
            "localhost"),
        Arguments.of(
            "localhost alone", "localhost/app", "localhost", null, "app", null, null, "localhost"),
        Arguments.of(
            "upper-case host",
            "REGISTRY.NG.BLUEMIX.NET/acme/app",
            "REGISTRY.NG.BLUEMIX.NET",
            null,
            "acme/app",
            null,
            null,
            "registry.ng.bluemix.net"),
        Arguments.of(
            "digest only",
            "us.icr.io/acme/app@" + SHA,
            "us.icr.io",
            null,
            "acme/app",
            null,
            SHA,
            "us.icr.io"),
        Arguments.of(
            "tag and digest",
            "us.icr.io/acme/app:v2@" + SHA,
            "us.icr.io",
            null,
            "acme/app",
            "v2",
            SHA,
            "us.icr.io"),
        Arguments.of(
            "deep path", "icr.io/a/b/c/d:x", "icr.io", null, "a/b/c/d", "x", null, "icr.io"),
        Arguments.of(
            "separators in path",
            "icr.io/a__b/c-d.e_f:t",
            "icr.io",
            null,
            "a__b/c-d.e_f",
            "t",
            null,
            "icr.io"),
        Arguments.of(
            "ipv4 host", "10.0.0.1:5000/app:1", "10.0.0.1", "5000", "app", "1", null, "10.0.0.1"),
        Arguments.of("ipv6 host", "[::1]:5000/app", "[::1]", "5000", "app", null, null, "[::1]"),
        Arguments.of(
            "host in path is path",
            "docker.io/registry.ng.bluemix.net/app",
            "docker.io",
            null,
            "registry.ng.bluemix.net/app",
            null,
            null,
            "docker.io"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("valid")
  void parsesValidReferences(
      String name,
      String raw,
      String host,
      String port,
      String path,
      String tag,
      String digest,
      String registryHost) {
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
        Arguments.of("host label ends with dash", "bad-.example.com/app", "host"),
        Arguments.of("empty host label", "bad..example.com/app", "host"),
        Arguments.of("empty brackets", "[]:5000/app", "host"),
        Arguments.of("dot then underscore", "icr.io/a._b", "path component"),
        Arguments.of("three underscores", "icr.io/a___b", "path component"),
        Arguments.of("separator at the end", "icr.io/a-", "path component"),
        Arguments.of("tag of 129 characters", "icr.io/a:" + "t".repeat(129), "tag"),
        Arguments.of(
            "digest algorithm ends with separator", "icr.io/a@sha256+:" + "0".repeat(32), "digest"),
        Arguments.of("digest hex not hex", "icr.io/a@sha256:" + "g".repeat(32), "digest"),
        Arguments.of("name longer than 255", "icr.io/" + "a".repeat(250), "longer than 255"));
  }

  /** Invalid ones name the problem; {@code named} is null for the one that is valid (digests have no length limit). */
  static Stream<Arguments> hostile() {
    // Each was a StackOverflowError in the regular-expression parser on a thread with a 1 MiB stack
    // (the I/O
    // threads' default): one repeated group per separator recursed once per part.
    return Stream.of(
        Arguments.of(
            "1,500 dot-separated path parts",
            "registry.ng.bluemix.net/" + "a.".repeat(1_500) + "a",
            "longer than 255"),
        Arguments.of(
            "1,500 dash-separated path parts",
            "registry.ng.bluemix.net/" + "a-".repeat(1_500) + "a",
            "longer than 255"),
        Arguments.of(
            "100,000 path parts", "icr.io/" + "a_".repeat(100_000) + "a", "longer than 255"),
        Arguments.of("1,500 host labels", "a.".repeat(1_500) + "io/app", "longer than 255"),
        Arguments.of(
            "1,500 digest algorithm parts",
            "icr.io/app@" + "a+".repeat(1_500) + "a:" + "0".repeat(64),
            null),
        Arguments.of(
            "a megabyte of invalid path",
            "icr.io/" + "a.".repeat(500_000) + "A",
            "path component"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostile")
  void hostileReferencesGetAnAnswerInBoundedStack(String name, String raw, String named)
      throws Exception {
    CompletableFuture<Throwable> outcome = new CompletableFuture<>();
    Thread parser =
        new Thread(
            null,
            () -> {
              try {
                ImageReference.parse(raw);
                outcome.complete(null);
              } catch (
                  Throwable e) { // StackOverflowError included: that is what this test is about
                outcome.complete(e);
              }
            },
            "parse",
            1024 * 1024);
    parser.start();
    Throwable e = outcome.get(60, TimeUnit.SECONDS);
    if (named == null) {
      assertThat(e).as("a valid reference").isNull();
      return;
    }
    assertThat(e).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(named);
    // the message quotes at most a short prefix: it ends up in warnings and in log lines
    assertThat(e.getMessage().length()).isLessThan(200);
  }

  @org.junit.jupiter.api.Test
  void longValidPartsStillParse() {
    String path = "a-".repeat(100) + "a";
    ImageReference ref = ImageReference.parse("registry.ng.bluemix.net/" + path + ":t");
    assertThat(ref.path()).isEqualTo(path);
    assertThat(ref.tag()).isEqualTo("t");
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
        Arguments.of(
            "digest kept", "registry.ng.bluemix.net/acme/app@" + SHA, "us.icr.io/acme/app@" + SHA),
        Arguments.of(
            "tag and digest kept",
            "registry.ng.bluemix.net/a/b:t@" + SHA,
            "us.icr.io/a/b:t@" + SHA),
        Arguments.of(
            "explicit 443 dropped",
            "registry.ng.bluemix.net:443/acme/app:1",
            "us.icr.io/acme/app:1"),
        Arguments.of("upper-case host", "Registry.NG.bluemix.net/acme/app", "us.icr.io/acme/app"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostSwaps")
  void swapsOnlyTheHost(String name, String raw, String expected) {
    assertThat(ImageReference.parse(raw).withHost("us.icr.io")).isEqualTo(expected);
  }
}
