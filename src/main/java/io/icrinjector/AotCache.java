package io.icrinjector;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import org.jboss.logging.Logger;

/**
 * Whether this JVM runs with the image's AOT cache (JEP 483/514/515, {@code -XX:AOTCache}), said once in the log
 * after start-up: a cache that does not match the runtime, the jars or the JVM options is not used (the JVM starts
 * without it, only slower), and the JVM itself says so only at warning level among its own lines. The line reads
 * {@code AOT cache /deployments/app.aot: in use} when it is mapped.
 */
final class AotCache {

  private static final Logger LOG = Logger.getLogger(AotCache.class);

  private AotCache() {}

  /** The state of the cache in a few words, e.g. {@code AOT cache /deployments/app.aot: in use}. */
  static String describe() {
    String file;
    try {
      file =
          ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
              .getVMOption("AOTCache")
              .getValue();
    } catch (IllegalArgumentException beforeJdk24) {
      return "no AOT cache (Java " + Runtime.version().feature() + " has none)";
    }
    if (file.isEmpty()) {
      return "no AOT cache (-XX:AOTCache not set)";
    }
    // With -XX:AOTCache the cache replaces the runtime's own CDS archive: the JVM shares classes
    // only if it mapped it.
    boolean mapped = System.getProperty("java.vm.info", "").contains("sharing");
    return "AOT cache "
        + file
        + (mapped
            ? ": in use"
            : ": NOT in use (it does not match this runtime, its jars or "
                + "its JVM options; run with -Xlog:aot to see why)");
  }

  static void log() {
    String what = describe();
    String jvm =
        System.getProperty("java.vm.name")
            + " "
            + System.getProperty("java.vm.version")
            + " ("
            + System.getProperty("java.vm.info")
            + ")";
    if (what.contains("NOT in use")) {
      LOG.warnf("%s; JVM %s", what, jvm);
    } else {
      LOG.infof("%s; JVM %s", what, jvm);
    }
  }
}
