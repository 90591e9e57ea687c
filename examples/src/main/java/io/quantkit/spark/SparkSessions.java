package io.quantkit.spark;

import org.apache.spark.sql.SparkSession;

/** Spark sessions for quantkit's jobs, kept on the loopback interface unless told otherwise. */
public final class SparkSessions {
  /** The master that means "as spark-submit (or {@code spark.master}) says". */
  public static final String SUBMIT = "submit";

  private SparkSessions() {}

  /**
   * A session on {@code master} ({@code local[2]}, {@code spark://host:7077}, ...; {@link #SUBMIT}: the
   * master spark-submit set) with the web UI off
   * and the driver bound to 127.0.0.1, so that a local run sends nothing beyond the machine. For a
   * real cluster set {@code spark.driver.host} (system property or {@code spark-submit --conf}) to
   * an address the executors reach; a value given there wins over the loopback default. Under
   * {@code spark-submit} pass {@link #SUBMIT}: its settings apply unchanged.
   */
  public static SparkSession create(String master, String appName) {
    SparkSession.Builder b = SparkSession.builder().appName(appName);
    if (!SUBMIT.equals(master)) {
      // spark-submit sets the driver's address and UI itself; a master given here gets loopback defaults
      b.master(master)
          .config("spark.ui.enabled", System.getProperty("spark.ui.enabled", "false"))
          .config("spark.driver.bindAddress", System.getProperty("spark.driver.bindAddress", "127.0.0.1"))
          .config("spark.driver.host", System.getProperty("spark.driver.host", "127.0.0.1"));
    }
    SparkSession s = b.getOrCreate();
    s.sparkContext().setLogLevel(System.getProperty("quantkit.spark.logLevel", "WARN"));
    return s;
  }
}
