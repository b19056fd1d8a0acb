package io.icrinjector.docs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fenced blocks of a Markdown page, read the way the node suite runs them. The convention (CONTRIBUTING.md,
 * "Docs that run"):
 *
 * <ul>
 *   <li>A {@code ```console} block is a terminal transcript: a line starting with {@code $ } is a command (run by
 *       bash in the repository root; a line ending with {@code \} continues on the next), and the lines after a
 *       command up to the next {@code $ } are its output, each of which must appear, in that order, as a line of
 *       what the command prints. A {@code # comment} after a command is only a comment (bash drops it).
 *   <li>A block that cannot run on the project's node (OpenShift only, a real registry, a sample of output) has
 *       {@code <!-- not run: REASON -->} on the line right above its fence. Any other block, whatever its
 *       language, is an error: a command that nobody runs can land no more.
 *   <li>{@code <!-- run after: COMMAND -->} above a block names a step the reader has done already (a namespace
 *       of theirs, an install to take over); the suite runs it before the block.
 * </ul>
 */
public final class DocCommands {

  private static final Pattern FENCE = Pattern.compile("^```\\s*([A-Za-z0-9_-]*)\\s*$");
  private static final Pattern NOT_RUN = Pattern.compile("^<!--\\s*not run:(.*?)-->\\s*$");
  private static final Pattern RUN_AFTER = Pattern.compile("^<!--\\s*run after:(.*?)-->\\s*$");
  private static final Pattern HEADING = Pattern.compile("^#+ (.+)$");

  private DocCommands() {}

  /** A command of a console block with the output lines the page shows after it. */
  public record Command(int line, String text, List<String> output) {}

  /**
   * One fenced block: where it starts (1-based line of its opening fence), under which heading, its language,
   * the reason it is not run (null when it is), the steps to run first, its commands and what is wrong with it
   * (null when nothing).
   */
  public record Block(
      Path doc,
      int line,
      String heading,
      String language,
      String notRun,
      List<String> runAfter,
      List<Command> commands,
      String problem) {

    /** Whether the node suite runs it. */
    public boolean runnable() {
      return notRun == null && problem == null;
    }

    /** Where it is, for messages: {@code docs/node.md:42 (The main job by hand)}. */
    public String where() {
      return doc + ":" + line + " (" + heading + ")";
    }
  }

  /** The blocks of {@code doc}. */
  public static List<Block> read(Path doc) throws IOException {
    return parse(doc, Files.readString(doc));
  }

  /** The blocks of {@code text}, read as the page {@code doc}. */
  public static List<Block> parse(Path doc, String text) {
    String[] lines = text.split("\n", -1);
    List<Block> blocks = new ArrayList<>();
    String heading = "(top)";
    for (int i = 0; i < lines.length; i++) {
      Matcher h = HEADING.matcher(lines[i]);
      if (h.matches()) {
        heading = h.group(1).strip();
        continue;
      }
      Matcher fence = FENCE.matcher(lines[i]);
      if (!fence.matches()) {
        continue;
      }
      int start = i;
      List<String> body = new ArrayList<>();
      for (i++; i < lines.length && !lines[i].startsWith("```"); i++) {
        body.add(lines[i]);
      }
      blocks.add(block(doc, start, lines, heading, fence.group(1), body, i >= lines.length));
    }
    return blocks;
  }

  private static Block block(
      Path doc,
      int start,
      String[] lines,
      String heading,
      String language,
      List<String> body,
      boolean unclosed) {
    String notRun = null;
    List<String> runAfter = new ArrayList<>();
    for (int j = start - 1; j >= 0; j--) {
      Matcher n = NOT_RUN.matcher(lines[j].strip());
      Matcher a = RUN_AFTER.matcher(lines[j].strip());
      if (n.matches()) {
        notRun = n.group(1).strip();
      } else if (a.matches()) {
        runAfter.add(0, a.group(1).strip());
      } else {
        break;
      }
    }
    List<Command> commands = new ArrayList<>();
    String problem = unclosed ? "no closing fence" : null;
    if (notRun != null && notRun.isEmpty()) {
      problem = "a 'not run' marker without a reason";
    }
    if (language.equals("console")) {
      StringBuilder command = null;
      List<String> output = null;
      int commandLine = 0;
      for (int k = 0; k < body.size(); k++) {
        String line = body.get(k);
        if (command != null && command.toString().endsWith("\\")) {
          command.append('\n').append(line);
        } else if (line.startsWith("$ ")) {
          if (command != null) {
            commands.add(new Command(commandLine, command.toString(), List.copyOf(output)));
          }
          command = new StringBuilder(line.substring(2));
          output = new ArrayList<>();
          commandLine = start + k + 2;
        } else if (command == null) {
          if (!line.isBlank() && problem == null) {
            problem =
                "line " + (start + k + 2) + " is neither a '$ ' command nor the output of one";
          }
        } else if (!line.isBlank()) {
          output.add(line.strip());
        }
      }
      if (command != null) {
        commands.add(new Command(commandLine, command.toString(), List.copyOf(output)));
      }
    }
    if (notRun == null && problem == null && commands.isEmpty()) {
      problem =
          language.equals("console")
              ? "a console block with no '$ ' command"
              : "a ```"
                  + (language.isEmpty() ? "" : language)
                  + " block: neither a console block of commands nor"
                  + " marked <!-- not run: REASON -->";
    }
    if (notRun != null && !runAfter.isEmpty() && problem == null) {
      problem = "both 'not run' and 'run after'";
    }
    return new Block(
        doc,
        start + 1,
        heading,
        language,
        notRun,
        List.copyOf(runAfter),
        List.copyOf(commands),
        problem);
  }
}
