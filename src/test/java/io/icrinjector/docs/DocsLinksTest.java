package io.icrinjector.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The front door and the manual point at things that exist: every relative link of README.md, CONTRIBUTING.md,
 * docs/*.md and the chart's README names a file of the repository and, with {@code #anchor}, a heading or an
 * {@code <a id>} of that file. The local node's import is the command that works there ({@code cluster.sh import}),
 * never a bare {@code ctr ... images import} given as the way to load the image.
 */
class DocsLinksTest {

  private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
  private static final Pattern HEADING = Pattern.compile("(?m)^#+ (.+)$");
  private static final Pattern ID = Pattern.compile("<a id=\"([^\"]+)\"></a>");

  static List<Path> documents() throws IOException {
    List<Path> docs =
        new ArrayList<>(
            List.of(
                Path.of("README.md"),
                Path.of("CONTRIBUTING.md"),
                Path.of("deploy/helm/icr-injector/README.md")));
    try (Stream<Path> files = Files.list(Path.of("docs"))) {
      files.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
    }
    return docs;
  }

  @Test
  void everyRelativeLinkAndAnchorExists() throws IOException {
    List<String> broken = new ArrayList<>();
    int checked = 0;
    for (Path doc : documents()) {
      Matcher m = LINK.matcher(Files.readString(doc));
      while (m.find()) {
        String target = m.group(1);
        if (target.matches("^[a-z]+:.*")) {
          continue;
        }
        checked++;
        int hash = target.indexOf('#');
        Path file =
            hash == 0
                ? doc
                : doc.resolveSibling(hash < 0 ? target : target.substring(0, hash)).normalize();
        if (!Files.exists(file)) {
          broken.add(doc + ": " + target + " (no file " + file + ")");
        } else if (hash >= 0 && !anchors(file).contains(target.substring(hash + 1))) {
          broken.add(doc + ": " + target + " (no anchor in " + file + ")");
        }
      }
    }
    assertThat(checked).isGreaterThan(30);
    assertThat(broken).isEmpty();
  }

  @Test
  void anchorsAreGithubsHeadingSlugsAndExplicitIds() {
    assertThat(slug("Taking a kustomize install over with Helm"))
        .isEqualTo("taking-a-kustomize-install-over-with-helm");
    assertThat(slug("icr.* and `make test`")).isEqualTo("icr-and-make-test");
  }

  @Test
  void theNodeImportIsTheCommandThatWorksThere() throws IOException {
    for (Path doc : documents()) {
      for (String line : Files.readAllLines(doc)) {
        if (line.contains("ctr -n k8s.io images import")) {
          assertThat(line).as(doc + ": " + line).containsAnyOf("does not work", "cannot reach");
        }
      }
    }
    assertThat(Files.readString(Path.of("src/main/image/build.sh")))
        .doesNotContain("load it with: ctr")
        .contains("src/test/node/cluster.sh import");
  }

  static Set<String> anchors(Path file) throws IOException {
    String text = Files.readString(file);
    Set<String> anchors = new HashSet<>();
    Matcher h = HEADING.matcher(text);
    while (h.find()) {
      anchors.add(slug(h.group(1)));
    }
    Matcher a = ID.matcher(text);
    while (a.find()) {
      anchors.add(a.group(1));
    }
    return anchors;
  }

  /** GitHub's heading anchor: lower case, punctuation but '-' and '_' dropped, spaces as '-'. */
  static String slug(String heading) {
    return heading
        .strip()
        .toLowerCase(Locale.ROOT)
        .replaceAll("[^\\p{L}\\p{N} _-]", "")
        .replace(' ', '-');
  }
}
