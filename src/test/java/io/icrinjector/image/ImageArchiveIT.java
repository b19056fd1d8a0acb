package io.icrinjector.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icrinjector.testing.ChildEnv;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The image's AOT cache (JDK 25, JEP 483/514/515) is valid for the image: the image is built with
 * {@code src/main/image/build.sh} (as {@code make image} and the node suite build it), its layers are unpacked in
 * order as a container runtime unpacks them (times 0, as oci.py writes them), and the image's own runtime, run in a
 * chroot of that file system as the image's user with the image's environment and entry point, maps the cache with
 * {@code -XX:AOTMode=on} (which refuses to start rather than run without it), loads the app's classes from it, and
 * serves a review with it; with the image's own options alone the webhook logs that the cache is in use.
 *
 * <p>Needs root (chroot, unshare) and apt-get download of four Debian packages, like {@code make image}. Not root,
 * it fails saying so; {@code -Dicr.image-it.skip-unless-root=true} skips it knowingly (never set in CI).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ImageArchiveIT {

  static final Path OUT = Paths.get("target", "image", "archive-it");
  static final ObjectMapper JSON = new ObjectMapper();

  Path rootfs;
  List<String> entrypoint;
  Map<String, String> env;
  String user;
  String tmpAsBuilt;

  @BeforeAll
  void buildAndUnpack() throws Exception {
    assertRootOrOptedOut(run(List.of("id", "-u"), Map.of(), 10).out.strip());
    Path archive = OUT.resolve("icr-injector.oci.tar");
    Files.createDirectories(OUT);
    Result build =
        run(
            List.of(
                "bash",
                "src/main/image/build.sh",
                "image",
                archive.toString(),
                "docker.io/library/icr-injector:archive-it"),
            Map.of(),
            900);
    assertThat(build.code).as(build.out).isZero();
    assertThat(build.out).contains("RUN wrote /deployments/app.aot", "Java 25 runtime from");

    Path layout = OUT.resolve("layout");
    rootfs = OUT.resolve("rootfs");
    run(List.of("rm", "-rf", layout.toString(), rootfs.toString()), Map.of(), 60);
    Files.createDirectories(layout);
    Files.createDirectories(rootfs);
    assertThat(
            run(List.of("tar", "-xf", archive.toString(), "-C", layout.toString()), Map.of(), 120)
                .code)
        .isZero();
    JsonNode index = JSON.readTree(layout.resolve("index.json").toFile());
    JsonNode manifest =
        JSON.readTree(
            blob(layout, index.path("manifests").get(0).path("digest").asText()).toFile());
    JsonNode config =
        JSON.readTree(blob(layout, manifest.path("config").path("digest").asText()).toFile())
            .path("config");
    for (JsonNode layer : manifest.path("layers")) {
      Result x =
          run(
              List.of(
                  "tar",
                  "-xzf",
                  blob(layout, layer.path("digest").asText()).toString(),
                  "-C",
                  rootfs.toString()),
              Map.of(),
              300);
      assertThat(x.code).as(x.out).isZero();
    }
    entrypoint = new ArrayList<>();
    config.path("Entrypoint").forEach(w -> entrypoint.add(w.asText()));
    env = new LinkedHashMap<>();
    config
        .path("Env")
        .forEach(e -> env.put(e.asText().split("=", 2)[0], e.asText().split("=", 2)[1]));
    user = config.path("User").asText();
    Path tmp = rootfs.resolve("tmp");
    tmpAsBuilt = run(List.of("stat", "-c", "%A", tmp.toString()), Map.of(), 10).out.strip();
    try (var names = Files.list(tmp)) {
      tmpAsBuilt += " " + names.map(p -> p.getFileName().toString()).sorted().toList();
    }
    // What a container runtime gives every container: /proc, and the character devices of /dev.
    Files.createDirectories(rootfs.resolve("proc"));
    Files.createDirectories(rootfs.resolve("dev"));
    for (String[] dev :
        new String[][] {{"null", "3"}, {"zero", "5"}, {"random", "8"}, {"urandom", "9"}}) {
      run(
          List.of(
              "mknod",
              "-m",
              "666",
              rootfs.resolve("dev").resolve(dev[0]).toString(),
              "c",
              "1",
              dev[1]),
          Map.of(),
          10);
    }
  }

  @Test
  void theWebhookLoadsItsClassesFromTheCacheAndAnswersAReview() throws Exception {
    // cds-training starts the webhook, answers a review on /mutate and /audit over loopback, and
    // exits 0. Classes
    // that come from the cache are logged with "source: shared objects file"; those of the app,
    // Quarkus, Vert.x and
    // fabric8 are among them (the aot-jar layout puts them on the JDK's class path, where the cache
    // can hold them).
    // -XX:AOTMode=on: a JVM that cannot map the cache (another runtime, other jars or times, other
    // options) exits.
    assertThat(env.get("JDK_JAVA_OPTIONS")).contains("-XX:AOTCache=/deployments/app.aot");
    Result r =
        inImage(
            List.of("-XX:AOTMode=on", "-Xlog:aot=info", "-Xlog:class+load=info"),
            List.of("cds-training"));
    assertThat(r.code).as(r.out).isZero();
    assertThat(r.out)
        .contains(
            "Opened AOT cache /deployments/app.aot", "answered a review on /mutate and /audit")
        .doesNotContain("[error");
    List<String> shared =
        r.out.lines().filter(l -> l.contains("source: shared objects file")).toList();
    assertThat(shared)
        .anyMatch(l -> l.contains(" io.icrinjector.handler.AdmissionHandler "))
        .anyMatch(l -> l.contains(" io.icrinjector.engine.MutationEngine "))
        .anyMatch(l -> l.contains(" io.vertx.core.http.impl."));
    long fromJars =
        r.out
            .lines()
            .filter(
                l ->
                    l.contains("[class,load]")
                        && l.contains("source: ")
                        && l.contains("/deployments/"))
            .count();
    assertThat(shared.size())
        .as("classes from the cache; %d came from the jars", fromJars)
        .isGreaterThan(5 * (int) fromJars);
  }

  @Test
  void theTrainingRunLeavesTheImagesTmpAsItWas() {
    // The image's /tmp as unpacked, before any test ran the image: writable by all (the image runs
    // as 185; a pod
    // mounts an emptyDir there, a plain container does not), and nothing of the training run's root
    // user in it.
    assertThat(tmpAsBuilt)
        .startsWith("drwxrwxrwt")
        .doesNotContain("hsperfdata_root", "vertx-cache");
  }

  @Test
  void theWebhookSaysTheCacheIsInUse() throws Exception {
    // Only the image's options (no -XX:AOTMode=on): what a pod runs. The line NodeE2EIT can read
    // from a pod's log.
    Result r = inImage(List.of(), List.of("cds-training"));
    assertThat(r.code).as(r.out).isZero();
    assertThat(r.out)
        .contains("AOT cache /deployments/app.aot: in use; JVM OpenJDK 64-Bit Server VM 25.")
        .doesNotContain("[error][aot]");
  }

  /** The image's entry point with {@code jvm} after the java launcher and {@code args} at the end, in the image. */
  Result inImage(List<String> jvm, List<String> args) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "unshare",
                "--mount",
                "--pid",
                "--fork",
                "--mount-proc=" + rootfs.toAbsolutePath().resolve("proc"),
                "chroot",
                "--userspec=" + user,
                rootfs.toAbsolutePath().toString()));
    cmd.add(entrypoint.get(0));
    cmd.addAll(jvm);
    cmd.addAll(entrypoint.subList(1, entrypoint.size()));
    cmd.addAll(args);
    return run(cmd, env, 180);
  }

  /** The property a developer who is not root sets to skip this class knowingly; CI runs as root and never sets it. */
  static final String OPT_OUT = "icr.image-it.skip-unless-root";

  /**
   * Not root: a failure that says why, unless the run opted out with {@code -Dicr.image-it.skip-unless-root=true}.
   * The suite never skips itself quietly: a CI machine that lost root would otherwise pass without this test.
   */
  static void assertRootOrOptedOut(String uid) {
    if ("0".equals(uid)) {
      return;
    }
    String why =
        "ImageArchiveIT needs root (chroot, unshare, mknod), as `make image` does; this run is uid "
            + uid;
    assumeFalse(Boolean.getBoolean(OPT_OUT), why + " and -D" + OPT_OUT + "=true skips it");
    throw new AssertionError(
        why + ". Run it as root, or pass -D" + OPT_OUT + "=true to skip it on purpose.");
  }

  static Path blob(Path layout, String digest) {
    return layout.resolve("blobs").resolve("sha256").resolve(digest.substring("sha256:".length()));
  }

  record Result(int code, String out) {}

  static Result run(List<String> cmd, Map<String, String> env, long seconds)
      throws IOException, InterruptedException {
    Path log = Files.createTempFile("image-archive-it", ".log");
    ProcessBuilder pb =
        ChildEnv.process(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    if (!env.isEmpty()) {
      String path = pb.environment().get("PATH");
      pb.environment().clear();
      pb.environment().putAll(env);
      // chroot and unshare are found on the host's PATH; the image's own PATH applies inside.
      pb.environment().put("PATH", env.getOrDefault("PATH", "") + ":" + path);
    }
    Process p = pb.start();
    if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(
          cmd + " did not end within " + seconds + " s: " + Files.readString(log));
    }
    String out = Files.readString(log, StandardCharsets.UTF_8);
    Files.delete(log);
    return new Result(p.exitValue(), out);
  }
}
