import java.io.File;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * DynamoDB Local as its own ServerRunner starts it, but listening on 127.0.0.1 only: its Jetty server binds every
 * interface and the jar has no option to change that. Started by infra/local/dynamodb-local.ts, the first time from
 * this source file; then, with -Dderbes.compileTo, it compiles itself there so later starts skip the compiler. It ends
 * when the process that started it ends.
 */
public class DynamoDbLocalOnLoopback {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    for (Connector connector : server.getConnectors()) ((ServerConnector) connector).setHost("127.0.0.1");
    proxy.start();

    // The runtime that started it may end without stopping it (killed, say); the database ends with it.
    ProcessHandle.current().parent().ifPresent((parent) -> parent.onExit().thenRun(() -> Runtime.getRuntime().halt(0)));

    String target = System.getProperty("derbes.compileTo");
    String source = System.getProperty("derbes.source");
    JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    if (target != null && source != null && compiler != null) {
      // Into a folder of its own first: another start may be reading the class at this moment.
      Path scratch = Path.of(target, "tmp-" + ProcessHandle.current().pid());
      new File(scratch.toString()).mkdirs();
      if (compiler.run(null, null, null, "-d", scratch.toString(), "-cp", System.getProperty("java.class.path"), source) == 0) {
        Files.move(scratch.resolve("DynamoDbLocalOnLoopback.class"), Path.of(target, "DynamoDbLocalOnLoopback.class"), StandardCopyOption.ATOMIC_MOVE);
      }
      Files.deleteIfExists(scratch);
    }
  }
}
