package io.icrinjector.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.icrinjector.docs.DocCommands.Block;
import io.icrinjector.docs.DocCommands.Command;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every fenced block of the install and node pages is either a console block the node suite runs
 * ({@code DocsNodeIT}) or marked {@code <!-- not run: REASON -->}: a command added to those pages that no test runs
 * fails the build here, before any node starts. The reading of the convention itself ({@link DocCommands}) is
 * checked on small pages.
 */
class DocCommandsTest {

  /** The pages whose commands the node suite runs, in the order it runs them. */
  static final List<Path> RUN = List.of(Path.of("docs/node.md"), Path.of("docs/install.md"));

  @Test
  void everyBlockOfTheInstallAndNodePagesIsRunOrMarkedWithAReason() throws IOException {
    List<String> wrong = new ArrayList<>();
    int runnable = 0;
    for (Path doc : RUN) {
      for (Block b : DocCommands.read(doc)) {
        if (b.problem() != null) {
          wrong.add(b.where() + ": " + b.problem());
        } else if (b.runnable()) {
          runnable++;
        }
      }
    }
    assertThat(wrong)
        .as("blocks that are neither run by DocsNodeIT nor marked <!-- not run: REASON -->")
        .isEmpty();
    assertThat(runnable).isGreaterThanOrEqualTo(10);
  }

  @Test
  void commandsContinuationsAndOutputAreReadFromAConsoleBlock() {
    List<Block> blocks =
        DocCommands.parse(
            Path.of("t.md"),
            """
        # Title
        ## Run

        ```console
        $ make cluster          # a comment stays with the command: bash drops it
        $ kubectl get pods \\
            -n demo
        first
          second
        $ true
        ```
        """);
    assertThat(blocks)
        .singleElement()
        .satisfies(
            b -> {
              assertThat(b.runnable()).isTrue();
              assertThat(b.line()).isEqualTo(4);
              assertThat(b.heading()).isEqualTo("Run");
              assertThat(b.commands())
                  .containsExactly(
                      new Command(
                          5,
                          "make cluster          # a comment stays with the command: bash drops it",
                          List.of()),
                      new Command(
                          6, "kubectl get pods \\\n    -n demo", List.of("first", "second")),
                      new Command(10, "true", List.of()));
            });
  }

  @Test
  void markersSayWhyABlockIsNotRunAndWhatRunsFirst() {
    List<Block> blocks =
        DocCommands.parse(
            Path.of("t.md"),
            """
        <!-- not run: OpenShift only -->
        ```console
        $ oc apply -k x
        ```
        <!-- run after: kubectl create namespace team-a -->
        ```console
        $ kubectl label namespace team-a x=y
        ```
        <!-- not run: what kubectl prints -->
        ```
        Warning: something
        ```
        """);
    assertThat(blocks).hasSize(3);
    assertThat(blocks.get(0).runnable()).isFalse();
    assertThat(blocks.get(0).notRun()).isEqualTo("OpenShift only");
    assertThat(blocks.get(0).problem()).isNull();
    assertThat(blocks.get(1).runnable()).isTrue();
    assertThat(blocks.get(1).runAfter()).containsExactly("kubectl create namespace team-a");
    assertThat(blocks.get(2).runnable()).isFalse();
    assertThat(blocks.get(2).problem()).isNull();
  }

  @Test
  void aBlockThatIsNeitherRunnableNorMarkedIsAProblem() {
    List<Block> blocks =
        DocCommands.parse(
            Path.of("t.md"),
            """
        ```
        Warning: an unmarked sample
        ```

        <!-- not run: -->
        ```console
        $ make image
        ```

        ```console
        make image
        ```

        ```yaml
        a: 1
        ```
        """);
    assertThat(blocks)
        .extracting(Block::problem)
        .allSatisfy(p -> assertThat(p).isNotNull())
        .satisfiesExactly(
            p -> assertThat(p).contains("neither a console block"),
            p -> assertThat(p).contains("without a reason"),
            p -> assertThat(p).contains("neither a '$ ' command"),
            p -> assertThat(p).contains("```yaml"));
    assertThat(blocks).noneMatch(Block::runnable);
  }
}
