package io.icrinjector.testing;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.PrintWriter;
import java.util.Arrays;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs test classes in a JVM of their own, as surefire would, and prints JUnit's summary: used by
 * {@link AmbientClusterTest} to run real tests in an environment that has a live cluster in it.
 *
 * <p>Exits 0 when every test of the named classes passed and at least one ran, 1 otherwise.
 */
public final class RunTests {

  private RunTests() {}

  /** {@code args}: fully qualified names of test classes. */
  public static void main(String[] args) {
    LauncherDiscoveryRequest request =
        LauncherDiscoveryRequestBuilder.request()
            .selectors(Arrays.stream(args).map(name -> selectClass(name)).toList())
            .build();
    SummaryGeneratingListener summary = new SummaryGeneratingListener();
    Launcher launcher = LauncherFactory.create();
    launcher.execute(request, summary);
    TestExecutionSummary s = summary.getSummary();
    PrintWriter out = new PrintWriter(System.out, true);
    s.printTo(out);
    s.printFailuresTo(out, 30);
    out.printf(
        "RunTests: found=%d succeeded=%d failed=%d%n",
        s.getTestsFoundCount(), s.getTestsSucceededCount(), s.getTotalFailureCount());
    System.exit(
        s.getTestsFoundCount() > 0
                && s.getTotalFailureCount() == 0
                && s.getTestsSucceededCount() == s.getTestsFoundCount()
            ? 0
            : 1);
  }
}
