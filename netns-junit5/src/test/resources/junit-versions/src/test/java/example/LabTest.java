package example;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netns.Host;
import io.netns.Netns;
import io.netns.Sandbox;
import io.netns.junit.Mode;
import io.netns.junit.NetnsTest;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.platform.commons.support.AnnotationSupport;

/** What a user of netns-junit5 writes: a lab host and a bridge sandbox, with a real TCP exchange. */
@NetnsTest
class LabTest {
    @Test
    void bridgeSandboxAnswersTheLab(Host lab, @Mode(value = Mode.Kind.BRIDGE, publish = "8080:80") Sandbox web)
            throws Exception {
        // The user's JUnit, and nothing netns brought along, is what runs this test.
        String jupiter = System.getProperty("expected.junit.version");
        String platform = jupiter.startsWith("5.") ? "1." + jupiter.substring(2) : jupiter;
        assertEquals(jupiter, Test.class.getPackage().getImplementationVersion(), "junit-jupiter-api");
        assertEquals(platform, AnnotationSupport.class.getPackage().getImplementationVersion(), "junit-platform-commons");
        String mode = System.getProperty("expected.netns.mode", "");
        if (!mode.isEmpty()) {
            assertEquals(mode, Netns.mode().name(), "the test JVM's mode");
        }

        InetAddress ip = web.addresses().get(0);
        try (ServerSocket server = web.call(() -> new ServerSocket(80))) {
            CompletableFuture<Void> echo = CompletableFuture.runAsync(() -> {
                try (Socket s = server.accept(); InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                    out.write(in.read() + 1);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            int answer = lab.namespace().call(() -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(ip, 80), 5000);
                    s.getOutputStream().write(41);
                    return s.getInputStream().read();
                }
            });
            echo.get(10, TimeUnit.SECONDS);
            assertEquals(42, answer);
        }
    }
}
