package io.icrinjector.node;

import io.icrinjector.docs.DocCommands;
import io.icrinjector.docs.DocCommands.Block;
import io.icrinjector.docs.DocCommands.Command;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The install and node pages as an administrator follows them: every runnable block of {@code docs/node.md}, then of
 * {@code docs/install.md} ({@link DocCommands}: console blocks, {@code <!-- not run: REASON -->} for the others),
 * each command as written, through bash in the repository root, on the project's node. The node comes up through
 * node.md's own {@code make cluster}, the image through {@code make image} and {@code make node-import}; node.md's
 * closing {@code make cluster-down} runs last, after install.md. A command that fails, or whose output lacks a line
 * the page shows after it, fails the test with the command, its exit code and the tail of its output.
 *
 * <p>The environment is {@link Node#env()} ({@code ChildEnv}: no inherited kubeconfig, a home of its own) with the
 * node's {@code kubectl} and {@code helm} wrappers ({@code cluster.sh up} writes them) first on {@code PATH}, so
 * {@code kubectl apply -k deploy/} reaches the node as it reaches an admin's cluster, and Maven pointed at this
 * machine's local repository for {@code make image}.
 *
 * <p>Between install variants the test resets the node: before a block whose first step installs the webhook
 * ({@code kubectl apply -k deploy/} or an overlay, {@code helm install}) while one is installed, it removes the
 * release, the components and the objects of {@code deploy/} (the namespace included) and waits until the namespace
 * is gone. A block that removes the previous install itself (node.md's Helm block) gets no reset.
 *
 * <p>One test, not one per block: the blocks are one session on one node, each building on what the ones before
 * left, and a block after a failed one would fail for that reason only.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DocsNodeIT {

  /** The pages, in the order they run. */
  static final List<Path> PAGES = List.of(Path.of("docs/node.md"), Path.of("docs/install.md"));

  /** A step that installs the webhook anew: a kustomize install of deploy/ or an overlay, or the chart. */
  static final Pattern INSTALLS =
      Pattern.compile(
          "(kubectl apply -k deploy/(overlays/[\\w-]+/?)?\\s*(\"|#|$))|(helm install )|(ARGS=\"apply -k deploy/\")");

  static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(15);

  final Path bin = Path.of(Node.env().get("ICR_NODE_DIR"), "bin");
  final Map<String, String> env = env();

  @Test
  void everyRunnableBlockOfTheNodeAndInstallPagesRunsOnTheNode() throws IOException {
    List<Block> now = new ArrayList<>();
    List<Block> last = new ArrayList<>();
    for (Path page : PAGES) {
      for (Block b : DocCommands.read(page)) {
        if (!b.runnable()) {
          continue;
        }
        // node.md's closing `make cluster-down` waits for install.md, which runs on the same node.
        boolean down =
            b.commands().stream().allMatch(c -> c.text().startsWith("make cluster-down"));
        (down ? last : now).add(b);
      }
    }
    now.addAll(last);
    long t0 = System.nanoTime();
    for (Block b : now) {
      List<Command> steps = new ArrayList<>();
      b.runAfter()
          .forEach(a -> steps.add(new Command(b.line() - 1, a, List.of()))); // the marker's line
      steps.addAll(b.commands());
      if (INSTALLS.matcher(steps.get(0).text()).find() && installed()) {
        reset();
      }
      for (Command c : steps) {
        run(b, c);
      }
    }
    System.err.printf(
        "[docs] %d blocks run in %.0f s%n", now.size(), (System.nanoTime() - t0) / 1e9);
  }

  @AfterAll
  void down() {
    Node.run(Duration.ofMinutes(3), List.of("bash", Node.SCRIPT.toString(), "down"), null);
  }

  /** Runs one step of {@code block} as written; fails with the step, its exit code and its output's tail. */
  void run(Block block, Command step) throws IOException {
    long t0 = System.nanoTime();
    System.err.printf("[docs] %s:%d $ %s%n", block.doc(), step.line(), step.text());
    Result r = bash(step.text(), COMMAND_TIMEOUT);
    String where = block.doc() + ":" + step.line() + " (" + block.heading() + ")";
    if (r.exit != 0) {
      throw new AssertionError(
          where
              + ": `"
              + step.text()
              + "` exited with "
              + r.exit
              + "; its output ended:\n"
              + tail(r.output, 60));
    }
    List<String> lines = r.output.lines().map(String::strip).toList();
    int at = 0;
    for (String want : step.output()) {
      int found = lines.subList(at, lines.size()).indexOf(want);
      if (found < 0) {
        throw new AssertionError(
            where
                + ": `"
                + step.text()
                + "` printed no line '"
                + want
                + "' (after the lines shown before it); its output ended:\n"
                + tail(r.output, 60));
      }
      at += found + 1;
    }
    System.err.printf("[docs]   ok in %.1f s%n", (System.nanoTime() - t0) / 1e9);
  }

  /** Whether a webhook install is on the node: its registration or its namespace. */
  boolean installed() throws IOException {
    return bash("kubectl get mutatingwebhookconfiguration icr-injector", Duration.ofMinutes(1)).exit
            == 0
        || bash("kubectl get namespace icr-injector", Duration.ofMinutes(1)).exit == 0;
  }

  /**
   * Removes whatever install is on the node: the registration first (no pod create goes to a webhook that is
   * leaving), the Helm release when there is one (without its pre-delete hook: a page's install may name an image the
   * node cannot pull, such as the chart's default, and the hook Job runs that image), the components, then every
   * object of {@code deploy/}, the webhook's
   * pods without their grace period (a reset, not an admin's uninstall), until the namespace is gone.
   */
  void reset() throws IOException {
    long t0 = System.nanoTime();
    Result r =
        bash(
            """
        set -e
        kubectl delete mutatingwebhookconfiguration icr-injector --ignore-not-found
        if helm status icr-injector -n icr-injector >/dev/null 2>&1; then helm uninstall icr-injector -n icr-injector --no-hooks; fi
        for c in deploy/components/*/; do kubectl delete -k "$c" --ignore-not-found; done
        kubectl delete -k deploy/ --ignore-not-found --wait=false
        kubectl delete pods --all -n icr-injector --grace-period=0 --force 2>/dev/null || true
        kubectl wait --for=delete namespace/icr-injector --timeout=240s 2>/dev/null || ! kubectl get namespace icr-injector
        """,
            Duration.ofMinutes(6));
    if (r.exit != 0) {
      throw new AssertionError(
          "resetting the node between install variants failed ("
              + r.exit
              + "):\n"
              + tail(r.output, 40));
    }
    System.err.printf(
        "[docs] reset between install variants in %.1f s%n", (System.nanoTime() - t0) / 1e9);
  }

  record Result(int exit, String output) {}

  /** {@code script} through {@code bash -o pipefail -c} in the repository root, standard error with the output. */
  Result bash(String script, Duration timeout) throws IOException {
    Path out = Files.createTempFile("icr-docs", ".out");
    try {
      Process p =
          io.icrinjector.testing.ChildEnv.apply(
                  new ProcessBuilder("bash", "-o", "pipefail", "-c", script), env)
              .redirectErrorStream(true)
              .redirectOutput(out.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
              .start();
      try {
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          p.descendants().forEach(ProcessHandle::destroyForcibly);
          p.destroyForcibly();
          return new Result(
              -1,
              Files.readString(out, StandardCharsets.UTF_8)
                  + "\n(not done within "
                  + timeout
                  + ")");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
      return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
    }
  }

  /**
   * {@link Node#env()} with the node's wrappers first on {@code PATH} (then this JVM's JDK 25, as the Makefile
   * wants), and Maven's local repository named, since the children's home is not this user's.
   */
  Map<String, String> env() {
    Map<String, String> e = new LinkedHashMap<>(Node.env());
    e.put(
        "PATH", bin + ":" + Path.of(System.getProperty("java.home"), "bin") + ":" + e.get("PATH"));
    String repo =
        System.getProperty(
            "maven.repo.local",
            Path.of(System.getProperty("user.home"), ".m2", "repository").toString());
    e.put("MAVEN_OPTS", "-Dmaven.repo.local=" + repo);
    return e;
  }

  static String tail(String text, int lines) {
    List<String> all = text.lines().toList();
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
  }
}
