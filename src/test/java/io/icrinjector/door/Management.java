package io.icrinjector.door;

import static io.restassured.RestAssured.given;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.ConfigProvider;

/** The management interface as tests see it: its port, and Prometheus series read off {@code /q/metrics}. */
public final class Management {

  private Management() {}

  /** The management interface's port in tests ({@code quarkus.management.test-port}, 9001 by default). */
  public static int port() {
    return ConfigProvider.getConfig().getOptionalValue("quarkus.management.test-port", Integer.class).orElse(9001);
  }

  /** One scrape of {@code /q/metrics}. */
  public static String scrape() {
    return given().port(port()).get("/q/metrics").then().statusCode(200).extract().asString();
  }

  /** The value of one series (name and labels exactly as Prometheus prints them); 0 when it is not there yet. */
  public static double value(String scrape, String series) {
    Matcher m = Pattern.compile("^" + Pattern.quote(series) + " ([0-9.eE+-]+)$", Pattern.MULTILINE).matcher(scrape);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }
}
