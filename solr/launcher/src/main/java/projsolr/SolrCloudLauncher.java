package projsolr;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Local SolrCloud for tests/benchmarks: MiniSolrCloudCluster (embedded ZooKeeper + Jetty nodes on
 * 127.0.0.1, random free ports).
 *
 * <p>Usage: SolrCloudLauncher [nodes=2] [baseDir=temp] [configsetDir configName]
 *
 * <p>Protocol: stdout carries only JSON lines (one "ready" line, then one answer per command);
 * logs go to stderr. Commands on stdin: "stop N", "start N", "status", "quit". EOF or SIGTERM
 * shuts the cluster down.
 *
 * <p>No static logger here on purpose: the log4j2 config property must be set before log4j
 * initialises, i.e. before any Solr class is touched.
 */
public final class SolrCloudLauncher {
  private static PrintStream out;
  private static volatile Object cluster; // MiniSolrCloudCluster, typed late (see above)
  private static final AtomicBoolean closed = new AtomicBoolean();

  public static void main(String[] args) throws Exception {
    // Keep the real stdout for the JSON protocol; anything else printing to System.out
    // (ZooKeeper, Jetty banners) is redirected to stderr.
    out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    System.setOut(System.err);

    int n = args.length > 0 ? Integer.parseInt(args[0]) : 2;
    Path base =
        args.length > 1 ? Paths.get(args[1]) : Files.createTempDirectory("solrcloud-launcher");
    Files.createDirectories(base);
    base = base.toAbsolutePath();
    Path confDir = args.length > 3 ? Paths.get(args[2]) : null;
    String confName = args.length > 3 ? args[3] : null;

    // System properties the Solr test framework / Solr expect outside a test runner.
    setDefault("log4j2.configurationFile", "log4j2-launcher.xml"); // WARN, stderr
    setDefault("solr.log.dir", base.resolve("logs").toString());
    // NB: do not point solr.install.dir / solr.default.confdir at the base dir: Solr uploads that
    // directory as the "_default" configset (it tried to upload ZooKeeper's own data files).
    // Configsets API: allow uploads (9.x default true, pinned so a future default can't bite).
    setDefault("solr.configset.upload.enabled", "true");
    setDefault("configset.upload.enabled", "true");
    // Test framework picks random tracing/metrics things when unset; keep it plain.
    setDefault("metricsEnabled", "false");
    setDefault("solr.disableDefaultJmxReporter", "true");
    setDefault("tests.asserts", "false");
    // ZkTestServer needs ZooKeeper's 4-letter "stat" command; allowing it up front avoids its
    // "temporarily manipulating your whitelist" error log.
    setDefault("zookeeper.4lw.commands.whitelist", "*");
    setDefault("solr.enableMetrics", "false");

    Runtime.getRuntime().addShutdownHook(new Thread(SolrCloudLauncher::shutdown, "shutdown"));
    Cluster c;
    try {
      c = new Cluster(n, base, confDir, confName);
    } catch (Throwable t) {
      // Solr/ZooKeeper leave non-daemon threads behind: exit explicitly, never hang.
      t.printStackTrace();
      out.println("{\"ready\": false, \"error\": " + q(String.valueOf(t)) + "}");
      System.exit(1);
      return;
    }
    cluster = c;
    out.println(c.readyJson());

    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      line = line.trim();
      if (line.isEmpty()) continue;
      String[] parts = line.split("\\s+");
      String answer;
      try {
        switch (parts[0]) {
          case "stop":
            answer = c.stop(Integer.parseInt(parts[1]));
            break;
          case "start":
            answer = c.start(Integer.parseInt(parts[1]));
            break;
          case "status":
            answer = c.status();
            break;
          case "quit":
            shutdown();
            out.println("{\"ok\": true, \"quit\": true}");
            System.exit(0);
            return;
          default:
            answer = "{\"ok\": false, \"error\": " + q("unknown command: " + line) + "}";
        }
      } catch (Exception e) {
        e.printStackTrace();
        answer = "{\"ok\": false, \"error\": " + q(String.valueOf(e)) + "}";
      }
      out.println(answer);
    }
    shutdown(); // EOF: parent went away
    System.exit(0);
  }

  private static void shutdown() {
    if (!closed.compareAndSet(false, true)) return;
    Object c = cluster;
    if (c != null) ((Cluster) c).shutdown();
  }

  private static void setDefault(String key, String value) {
    if (System.getProperty(key) == null) System.setProperty(key, value);
  }

  static String q(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char ch : s.toCharArray()) {
      if (ch == '"' || ch == '\\') b.append('\\').append(ch);
      else if (ch < 0x20) b.append(String.format("\\u%04x", (int) ch));
      else b.append(ch);
    }
    return b.append('"').toString();
  }

  /** Holds the Solr-typed state; loaded only after the system properties above are set. */
  static final class Cluster {
    final org.apache.solr.cloud.MiniSolrCloudCluster mini;
    // Our own fixed list: MiniSolrCloudCluster removes stopped nodes from its list, which would
    // shift indices; tests address nodes by their original position.
    final List<org.apache.solr.embedded.JettySolrRunner> nodes;

    Cluster(int n, Path base, Path confDir, String confName) throws Exception {
      org.apache.solr.cloud.MiniSolrCloudCluster.Builder b =
          new org.apache.solr.cloud.MiniSolrCloudCluster.Builder(n, base)
              // no OpenTelemetry trace-id shenanigans from the test framework
              .withTraceIdGenerationDisabled();
      if (confDir != null) b.addConfig(confName, confDir.toAbsolutePath());
      mini = b.build(); // returns after all nodes are live in ZooKeeper
      nodes = new ArrayList<>(mini.getJettySolrRunners());
    }

    String readyJson() {
      StringBuilder s = new StringBuilder("{\"ready\": true, \"nodes\": [");
      for (int i = 0; i < nodes.size(); i++) {
        if (i > 0) s.append(", ");
        s.append(q(nodes.get(i).getBaseUrl().toString()));
      }
      return s.append("], \"zk\": ").append(q(mini.getZkServer().getZkAddress())).append("}")
          .toString();
    }

    String stop(int i) throws Exception {
      org.apache.solr.embedded.JettySolrRunner j = nodes.get(i);
      mini.stopJettySolrRunner(j);
      mini.waitForJettyToStop(j); // gone from live_nodes, so clients see it down
      return "{\"ok\": true, \"stopped\": " + i + "}";
    }

    String start(int i) throws Exception {
      org.apache.solr.embedded.JettySolrRunner j = nodes.get(i);
      mini.startJettySolrRunner(j, true); // reusePort: the node keeps its URL
      mini.waitForNode(j, 60);
      return "{\"ok\": true, \"started\": " + i + ", \"url\": " + q(j.getBaseUrl().toString())
          + "}";
    }

    String status() throws Exception {
      Set<String> live = mini.getZkStateReader().getClusterState().getLiveNodes();
      StringBuilder s = new StringBuilder("{\"ok\": true, \"nodes\": [");
      for (int i = 0; i < nodes.size(); i++) {
        org.apache.solr.embedded.JettySolrRunner j = nodes.get(i);
        if (i > 0) s.append(", ");
        String name = j.isRunning() ? j.getNodeName() : null;
        s.append("{\"index\": ").append(i)
            .append(", \"running\": ").append(j.isRunning())
            .append(", \"live\": ").append(name != null && live.contains(name))
            .append(", \"url\": ").append(q(j.getBaseUrl().toString())).append("}");
      }
      return s.append("], \"zk\": ").append(q(mini.getZkServer().getZkAddress())).append("}")
          .toString();
    }

    void shutdown() {
      try {
        mini.shutdown(); // stops Jettys, then ZooKeeper
      } catch (Throwable t) {
        t.printStackTrace();
      }
    }
  }
}
