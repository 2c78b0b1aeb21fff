// Starts a real Neo4j 5 community server for the test bed: Bolt and HTTP on the given loopback
// ports, data under the given directory, authentication on, and the `neo4j` user's password set
// without a forced change. Prints "READY" once both connectors accept connections and stops
// cleanly (checkpoint, close) on SIGTERM.
//
// Usage: java -cp <jars>:<dir> Launcher DIR BOLT_PORT HTTP_PORT PASSWORD_FILE
// The password is read from a file so it never appears in `ps` output.
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.CountDownLatch;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.Transaction;
import org.neo4j.harness.Neo4j;
import org.neo4j.harness.Neo4jBuilders;

public final class Launcher {
  private Launcher() {}

  private static void waitForPort(int port, long deadlineMillis) throws IOException, InterruptedException {
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 500);
        return;
      } catch (IOException e) {
        if (System.currentTimeMillis() > deadlineMillis) {
          throw new IOException("port " + port + " did not open: " + e.getMessage());
        }
        Thread.sleep(100);
      }
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: Launcher DIR BOLT_PORT HTTP_PORT PASSWORD_FILE");
      System.exit(2);
    }
    Path dir = Paths.get(args[0]);
    int boltPort = Integer.parseInt(args[1]);
    int httpPort = Integer.parseInt(args[2]);
    String password = Files.readString(Paths.get(args[3]), StandardCharsets.UTF_8).trim();
    if (password.isEmpty() || password.contains("'")) {
      System.err.println("launcher: the password file must hold a non-empty password without quotes");
      System.exit(2);
    }

    Neo4j neo4j = Neo4jBuilders.newInProcessBuilder(dir)
        .withConfig(BoltConnector.enabled, true)
        .withConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", boltPort))
        .withConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", boltPort))
        .withConfig(HttpConnector.enabled, true)
        .withConfig(HttpConnector.listen_address, new SocketAddress("127.0.0.1", httpPort))
        .withConfig(HttpConnector.advertised_address, new SocketAddress("127.0.0.1", httpPort))
        .withConfig(HttpsConnector.enabled, false)
        .withConfig(GraphDatabaseSettings.auth_enabled, true)
        .build();

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.out.println("launcher: stopping neo4j");
      System.out.flush();
      try {
        neo4j.close();
      } finally {
        stopped.countDown();
      }
    }, "neo4j-shutdown"));

    GraphDatabaseService system = neo4j.databaseManagementService().database("system");
    try (Transaction tx = system.beginTx()) {
      tx.execute("ALTER USER neo4j SET PASSWORD '" + password + "' CHANGE NOT REQUIRED");
      tx.commit();
    }
    long deadline = System.currentTimeMillis() + 60_000;
    waitForPort(boltPort, deadline);
    waitForPort(httpPort, deadline);
    System.out.println("READY bolt://127.0.0.1:" + boltPort + " http://127.0.0.1:" + httpPort);
    System.out.flush();
    stopped.await();
  }
}
