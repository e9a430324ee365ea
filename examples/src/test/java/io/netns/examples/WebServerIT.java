package io.netns.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.sun.net.httpserver.HttpServer;
import io.netns.Host;
import io.netns.Sandbox;
import io.netns.junit.Mode;
import io.netns.junit.NetnsTest;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * How a test author uses the extension: a lab host and sandboxes as parameters, removed and leak-checked
 * after each test. Published ports need io.netns:netns-iptables on the test class path (this module has it).
 */
@NetnsTest
class WebServerIT {
    @Test
    void servesOnItsOwnPort80(@Mode(Mode.Kind.NONE) Sandbox a, @Mode(Mode.Kind.NONE) Sandbox b) throws Exception {
        // two sandboxes: two port spaces, so both may listen on 80 without a collision
        HttpServer first = a.call(() -> start(80, "a"));
        HttpServer second = b.call(() -> start(80, "b"));
        try {
            assertEquals("a", a.call(() -> get("http://127.0.0.1/")));
            assertEquals("b", b.call(() -> get("http://127.0.0.1/")));
            assertNotEquals(a.namespace().inode(), b.namespace().inode());
        } finally {
            first.stop(0);
            second.stop(0);
        }
    }

    @Test
    void isReachableThroughAPublishedPort(Host lab,
            @Mode(value = Mode.Kind.BRIDGE, publish = "8080:80") Sandbox web) throws Exception {
        HttpServer server = web.call(() -> start(80, "web"));
        try {
            // from the lab host itself, to its address on the bridge: DNAT'ed to the sandbox's port 80
            assertEquals("web", lab.namespace().call(() -> get("http://10.89.0.1:8080/")));
        } finally {
            server.stop(0);
        }
    }

    private static HttpServer start(int port, String body) throws Exception {
        HttpServer s = HttpServer.create(new InetSocketAddress(port), 8);
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        s.createContext("/", ex -> {
            ex.sendResponseHeaders(200, bytes.length);
            ex.getResponseBody().write(bytes);
            ex.close();
        });
        s.start();
        return s;
    }

    private static String get(String url) throws Exception {
        HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
        // The JDK keeps idle connections in one pool per JVM, not per namespace: never reuse one
        // opened inside another namespace.
        c.setRequestProperty("Connection", "close");
        c.setConnectTimeout(2000);
        c.setReadTimeout(2000);
        try (InputStream in = c.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
