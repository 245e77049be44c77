import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import com.almworks.sqlite4java.SQLiteConnection;
import com.almworks.sqlite4java.SQLiteException;
import com.almworks.sqlite4java.SQLiteStatement;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;
import software.amazon.dynamodb.services.local.shared.access.sqlite.SQLiteLibraryLoader;

/**
 * DynamoDB Local as its own ServerRunner starts it, but listening on 127.0.0.1 only: its Jetty server binds every
 * interface and the jar has no option to change that. Started by infra/local/dynamodb-local.ts, the first time from
 * this source file; then, with -Dderbes.compileTo, it compiles itself into a jar there, beside a copy of DynamoDB
 * Local's jar that the JVM can archive (see withoutManifestClassPath), so later starts skip the compiler and can use
 * class-data sharing. It ends when the process that started it ends.
 */
public class DynamoDbLocalOnLoopback {
  private static final String LAUNCHER_JAR = "launcher.jar";
  private static final String DATABASE_JAR = "DynamoDBLocal.jar";

  public static void main(String[] args) throws Exception {
    String database = System.getProperty("derbes.writeAheadLog");
    if (database != null) writeAheadLog(Path.of(database));
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    for (Connector connector : server.getConnectors()) ((ServerConnector) connector).setHost("127.0.0.1");
    // The runtime that started it may end without stopping it (killed, say, or a test process timing out while the
    // database still starts); the database ends with it. Named by pid: one that ended before this line ran has left
    // this JVM to init, which is no reason to stay.
    String starter = System.getProperty("derbes.parentPid");
    Optional<ProcessHandle> parent = starter != null ? ProcessHandle.of(Long.parseLong(starter)) : ProcessHandle.current().parent();
    if (parent.isEmpty()) Runtime.getRuntime().halt(0);
    parent.get().onExit().thenRun(() -> Runtime.getRuntime().halt(0));
    proxy.start();
    if (database != null) keepLogShort(Path.of(database));

    String target = System.getProperty("derbes.compileTo");
    String source = System.getProperty("derbes.source");
    String databaseJar = System.getProperty("derbes.databaseJar");
    JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    if (target != null && source != null && databaseJar != null && compiler != null) {
      // Into a folder of its own first: another start may be reading these jars at this moment.
      Path scratch = Path.of(target, "tmp-" + ProcessHandle.current().pid());
      Files.createDirectories(scratch);
      if (compiler.run(null, null, null, "-d", scratch.toString(), "-cp", System.getProperty("java.class.path"), source) == 0) {
        Path launcher = scratch.resolve(LAUNCHER_JAR);
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(launcher))) {
          jar.putNextEntry(new JarEntry("DynamoDbLocalOnLoopback.class"));
          jar.write(Files.readAllBytes(scratch.resolve("DynamoDbLocalOnLoopback.class")));
        }
        withoutManifestClassPath(Path.of(databaseJar), scratch.resolve(DATABASE_JAR));
        // The launcher last: its presence tells the next start that both jars are there. A jar another start put
        // there first stays (a class archive names the jars it was made from, so they must not change under it).
        moveUnlessPresent(scratch.resolve(DATABASE_JAR), Path.of(target, DATABASE_JAR));
        moveUnlessPresent(launcher, Path.of(target, LAUNCHER_JAR));
      }
      try (var files = Files.list(scratch)) {
        for (Path file : (Iterable<Path>) files::iterator) Files.delete(file);
      }
      Files.delete(scratch);
    }
  }

  /**
   * The database file in SQLite's write-ahead-log mode, which the file keeps once set (DynamoDB Local opens it as it
   * is): a commit appends to the log and syncs it once, where the rollback journal DynamoDB Local leaves by default
   * syncs the journal and the database and deletes the journal (bare PutItem on a 2-core machine's disk: 557–681 →
   * 967–1,046 a second; README, bench:intake). A commit is as durable either way (synchronous stays FULL), and a JVM
   * killed mid-write leaves a log SQLite replays on the next open. The log is written back into the file when a
   * transaction's commit checkpoints it (DynamoDB Local's plain writes never do), once a second while the database
   * runs (keepLogShort), and on the next start, when this connection closes. Set with DynamoDB Local's own SQLite
   * library, loaded as DynamoDB Local loads it (the server's load is then a no-op): a second copy loaded from
   * java.library.path crashed the JVM in native code, now and then. A file that cannot take the log (another process
   * holding it, a file system without shared memory) stops the start with SQLite's reason.
   */
  private static void writeAheadLog(Path file) throws Exception {
    SQLiteLibraryLoader.initialize();
    SQLiteConnection connection = new SQLiteConnection(file.toFile());
    try {
      connection.open(true);
      SQLiteStatement statement = connection.prepare("PRAGMA journal_mode=WAL");
      try {
        statement.step();
        String mode = statement.columnString(0);
        if (!"wal".equalsIgnoreCase(mode)) throw new IllegalStateException("SQLite kept " + file + " in journal mode " + mode);
      } finally {
        statement.dispose();
      }
    } finally {
      connection.dispose();
    }
  }

  private static final long CHECKPOINT_EVERY_MS = 1_000;
  /** How long preparing the checkpoint waits for DynamoDB Local's writer (a table being made changes the schema). */
  private static final int PREPARE_WAIT_MS = 200;

  /**
   * Once a second, what the log holds is written back into the file (a PASSIVE checkpoint: it waits for nobody and
   * holds no writer), so that the first commit after one that took in the whole log starts the log over from its
   * beginning. DynamoDB Local itself never checkpoints a plain write: 30,000 bare puts left a log of 198 MB and the
   * file empty, and a log that never starts over grows until the next start. Under writes without a pause the log
   * still grows (a commit only starts it over when the last checkpoint took in all of it), and its file keeps the
   * largest size it reached until the next start: the SQLite inside DynamoDB Local predates the checkpoint that
   * truncates, and the checkpoints that start the log over or truncate it hold writers, which DynamoDB Local then
   * fails with "database is locked" (seen). On a connection of its own thread, as sqlite4java confines a connection
   * to the thread that opened it; a daemon thread, which ends with the JVM. A checkpoint that fails (the disk, say) is
   * reported on the JVM's error output, which the runtime's log shows (infra/local/dynamodb-local.ts), once until
   * one succeeds again, and tried again a second later.
   */
  private static void keepLogShort(Path file) {
    Thread checkpointer = new Thread(() -> {
      SQLiteConnection connection = new SQLiteConnection(file.toFile());
      try {
        connection.open(false);
        connection.setBusyTimeout(PREPARE_WAIT_MS);
        boolean failing = false;
        while (true) {
          Thread.sleep(CHECKPOINT_EVERY_MS);
          try {
            SQLiteStatement checkpoint = connection.prepare("PRAGMA wal_checkpoint(PASSIVE)", false);
            try {
              checkpoint.step();
            } finally {
              checkpoint.dispose();
            }
            failing = false;
          } catch (SQLiteException failure) {
            if (!failing) System.err.println("derbes: checkpoint of " + file + " failed, tried again each second: " + failure);
            failing = true;
          }
        }
      } catch (InterruptedException | SQLiteException | RuntimeException failure) {
        System.err.println("derbes: the write-ahead log of " + file + " is no longer checkpointed: " + failure);
      } finally {
        connection.dispose();
      }
    }, "derbes-log-checkpoint");
    checkpointer.setDaemon(true);
    checkpointer.start();
  }

  /** A hard link, as it fails when the name is taken (a rename would replace the file there). */
  private static void moveUnlessPresent(Path from, Path to) throws IOException {
    try {
      Files.createLink(to, from);
    } catch (FileAlreadyExistsException present) {
      // Another start's, which stays.
    }
    Files.delete(from);
  }

  /**
   * A copy of DynamoDB Local's jar whose manifest names no Class-Path: its "." (the jar's own folder) is a directory
   * on the class path, and the JVM archives the loaded classes (class-data sharing) only for a class path of jars.
   */
  private static void withoutManifestClassPath(Path from, Path to) throws IOException {
    try (JarFile in = new JarFile(from.toFile()); JarOutputStream out = new JarOutputStream(Files.newOutputStream(to))) {
      Manifest manifest = new Manifest(in.getManifest());
      manifest.getMainAttributes().remove(Attributes.Name.CLASS_PATH);
      out.putNextEntry(new JarEntry(JarFile.MANIFEST_NAME));
      manifest.write(out);
      for (JarEntry entry : (Iterable<JarEntry>) in.stream()::iterator) {
        if (entry.getName().equalsIgnoreCase(JarFile.MANIFEST_NAME)) continue;
        out.putNextEntry(new JarEntry(entry.getName()));
        try (InputStream content = in.getInputStream(entry)) {
          content.transferTo(out);
        }
      }
    }
  }
}
