package io.icrinjector;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import io.icrinjector.config.MatchConditionsCheck;
import io.icrinjector.management.CallerCheck;
import io.icrinjector.report.ReportBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The floors of the house (CONTRIBUTING.md, "Layout"), read off the compiled classes of {@code src/main}: which
 * package may import which, no loop between packages, who may hold a Kubernetes client, and no file over 300 lines.
 * A constant another class names is copied into it by javac and leaves no trace in the bytecode, so a dependency that
 * is only a {@code static final} String is not seen here; every other one is (types, calls, fields, annotations).
 */
class ArchitectureTest {

  /** The longest a file under {@code src/main} may be. */
  static final int MAX_LINES = 300;

  private static JavaClasses main;

  @BeforeAll
  static void importMain() {
    main =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.icrinjector");
    // Guards the guard: an import that found nothing would pass every rule below.
    assertThat(main.contain(ReportBuilder.class)).isTrue();
  }

  /**
   * From the bottom: the engine and the patch builder are pure; kube is the ground floor of every API call; config
   * reads the rules; secrets copies; the handler answers a review; the report reads the cluster beside them; the door
   * and the management port (which serves the report) sit on top, and the root package ({@code Main}) above them
   * all. A floor imports only floors below it.
   */
  @Test
  void importsRunDownhill() {
    ArchRule floors =
        layeredArchitecture()
            .consideringOnlyDependenciesInLayers()
            .layer("engine")
            .definedBy("io.icrinjector.engine..")
            .layer("patch")
            .definedBy("io.icrinjector.patch..")
            .layer("kube")
            .definedBy("io.icrinjector.kube..")
            .layer("config")
            .definedBy("io.icrinjector.config..")
            .layer("secrets")
            .definedBy("io.icrinjector.secrets..")
            .layer("handler")
            .definedBy("io.icrinjector.handler..")
            .layer("report")
            .definedBy("io.icrinjector.report..")
            .layer("door")
            .definedBy("io.icrinjector.door..")
            .layer("management")
            .definedBy("io.icrinjector.management..")
            .layer("main")
            .definedBy("io.icrinjector")
            .whereLayer("engine")
            .mayNotAccessAnyLayer()
            .whereLayer("patch")
            .mayOnlyAccessLayers("engine")
            .whereLayer("kube")
            .mayOnlyAccessLayers("engine")
            .whereLayer("config")
            .mayOnlyAccessLayers("engine", "kube")
            .whereLayer("secrets")
            .mayOnlyAccessLayers("engine", "kube", "config")
            .whereLayer("handler")
            .mayOnlyAccessLayers("engine", "patch", "kube", "config", "secrets")
            .whereLayer("report")
            .mayOnlyAccessLayers("engine", "kube", "config")
            .whereLayer("door")
            .mayOnlyAccessLayers("config", "handler")
            .whereLayer("management")
            .mayOnlyAccessLayers("kube", "config", "secrets", "handler", "report")
            // The commands of the jar (Main) may start anything below; nothing imports them.
            .whereLayer("main")
            .mayNotBeAccessedByAnyLayer();
    floors.check(main);
  }

  @Test
  void noLoopBetweenPackages() {
    slices().matching("io.icrinjector.(*)..").should().beFreeOfCycles().check(main);
  }

  /** The engine and the patch builder are plain Java over JSON: no Kubernetes client or model, no Quarkus. */
  @Test
  void engineAndPatchArePure() {
    noClasses()
        .that()
        .resideInAnyPackage("io.icrinjector.engine..", "io.icrinjector.patch..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.fabric8..",
            "io.quarkus..",
            "io.vertx..",
            "io.smallrye..",
            "jakarta..",
            "io.micrometer..",
            "org.jboss..")
        .check(main);
  }

  /**
   * Every Kubernetes API call goes through kube or secrets, but for three reads whose meaning is their own (the
   * kube package's documentation says why): the report's lists, the start-up read of the webhook configuration and
   * the management port's caller check.
   */
  @Test
  void onlyKubeSecretsAndTheNamedReadersHoldAClient() {
    noClasses()
        .that()
        .resideOutsideOfPackages("io.icrinjector.kube..", "io.icrinjector.secrets..")
        .and()
        .doNotBelongToAnyOf(ReportBuilder.class, MatchConditionsCheck.class, CallerCheck.class)
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.fabric8.kubernetes.client..")
        .check(main);
  }

  /**
   * Error answers are built in one place, {@code handler.AdmissionAnswer}; the door and the management port only
   * send them. They were built in four (the routes, the resource, the handler, the management lock) and had
   * begun to differ.
   */
  @Test
  void onlyAdmissionAnswerBuildsPlainTextAnswers() throws IOException {
    List<String> builders;
    try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
      builders =
          files
              .filter(p -> p.toString().endsWith(".java"))
              .filter(p -> !p.endsWith(Path.of("io/icrinjector/handler/AdmissionAnswer.java")))
              .filter(p -> text(p).contains("\"text/plain"))
              .map(Path::toString)
              .toList();
    }
    assertThat(builders)
        .as("classes that build a plain-text answer themselves (use AdmissionAnswer)")
        .isEmpty();
  }

  @Test
  void noFileUnderSrcMainIsOver300Lines() throws IOException {
    List<String> tooLong;
    try (Stream<Path> files = Files.walk(Path.of("src/main"))) {
      tooLong =
          files
              .filter(Files::isRegularFile)
              .filter(p -> lines(p) > MAX_LINES)
              .map(p -> p + ": " + lines(p) + " lines")
              .toList();
    }
    assertThat(tooLong).as("files under src/main over %d lines (split them)", MAX_LINES).isEmpty();
  }

  private static String text(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static long lines(Path file) {
    try (Stream<String> lines = Files.lines(file)) {
      return lines.count();
    } catch (IOException | java.io.UncheckedIOException e) {
      return 0; // not text (an image, a binary): no line count to keep
    }
  }
}
