package io.icrinjector.management;

import static io.restassured.RestAssured.given;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.ConfigProvider;

/** The management interface as tests see it: its port, and Prometheus series read off {@code /q/metrics}. */
public final class Management {

  private Management() {}

  /**
   * The port the management interface bound in this test run. The test application.properties asks for a random
   * one ({@code quarkus.management.test-port=0}) and Quarkus publishes the port it got under the same key; no
   * fallback, so a lookup that stops working fails here rather than probing some fixed port.
   */
  public static int port() {
    return ConfigProvider.getConfig().getValue("quarkus.management.test-port", Integer.class);
  }

  /** One scrape of {@code /q/metrics}. */
  public static String scrape() {
    return given().port(port()).get("/q/metrics").then().statusCode(200).extract().asString();
  }

  /** The value of one series (name and labels exactly as Prometheus prints them); 0 when it is not there yet. */
  public static double value(String scrape, String series) {
    Matcher m =
        Pattern.compile("^" + Pattern.quote(series) + " ([0-9.eE+-]+)$", Pattern.MULTILINE)
            .matcher(scrape);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }
}
