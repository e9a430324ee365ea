package io.netns.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.junit.NetnsTest;
import io.netns.testing.Privileged;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Runs the seed lab and the quick start as a user would, and checks what they print and leave. */
@NetnsTest
class DemoIT {
    @Test
    void theSeedLabWithTheJdkServerShowsEveryStepAndLeavesNothing() throws Exception {
        String out = runSeed("ditj" + ProcessHandle.current().pid(), WebServers.jdk());
        assertTrue(out.contains("the JDK's built-in HTTP server"), out);
        assertTrue(out.contains("java.net.BindException: Address already in use"), out);
    }

    /**
     * The Apache path: {@code scripts/setup.sh} installs apache2 (without starting its service), so it
     * always runs where the tests' setup ran; elsewhere the privilege gate skips it with the reason, or
     * fails it under {@code NETNS_REQUIRE_PRIVILEGED=1} (CI).
     */
    @Test
    void theSeedLabWithApacheShowsHttpdsOwnErrorAndLeavesNothing() throws Exception {
        Privileged.requireThat(WebServers.apacheInstalled(), WebServers.APACHE + " (scripts/setup.sh installs apache2)");
        WebServers apache = WebServers.apache();
        String root = apache.workDir().toString();
        String out = runSeed("dita" + ProcessHandle.current().pid(), apache);
        assertTrue(out.contains("Apache httpd (/usr/sbin/apache2"), out);
        assertTrue(out.contains("(98)Address already in use: AH00072: make_sock: could not bind to address"), out);
        assertTrue(out.contains("httpd exited with status 1"), out);
        assertTrue(out.contains("web1 Listen 80 up httpd pid "), out);
        assertFalse(Files.exists(Path.of(root)), "the temporary ServerRoot is left: " + root);
        assertTrue(ProcessHandle.allProcesses().noneMatch(p -> p.info().commandLine().orElse("").contains(root)),
                "an httpd of the demo still runs");
    }

    private static String runSeed(String prefix, WebServers web) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Demo demo = new Demo(new PrintStream(bytes, true, StandardCharsets.UTF_8), prefix, web);
        try {
            demo.run("seed");
        } finally {
            demo.cleanup();
        }
        String out = bytes.toString(StandardCharsets.UTF_8).replaceAll(" {2,}", " ");
        assertTrue(out.contains("Address already in use"), out);
        assertTrue(out.contains("ADDRESS_IN_USE"), out);
        // step (a): the planner read the lab itself and names web1's process; then the same verdict from the
        // two configurations, before anything starts, with the lines that fix it (explanations are wrapped)
        String flat = out.replaceAll("\\s+", " ");
        assertTrue(flat.contains("the planner, from the lab itself, for web2 on every address, port 80: ADDRESS_IN_USE"),
                out);
        assertTrue(flat.contains("Free instead:") && flat.contains("The service will fail: Apache logs"), out);
        assertTrue(flat.matches(".*v6only=0( uid=\\d+)?' of \\S+, pid \\d+: .*"), "web1's process is named: " + out);
        assertTrue(flat.contains("before anything starts, from the two configurations (web1's read as existing):"
                + " ADDRESS_IN_USE"), out);
        assertTrue(flat.contains("of web1 (Listen 80 at web1/apache2/ports.conf:1)"), out);
        assertTrue(flat.contains("fix web1/apache2/ports.conf Listen 10.20.30.100:80")
                && flat.contains("fix web2/apache2/ports.conf Listen 10.20.30.200:80"), out);
        assertTrue(out.contains("Listen 10.20.30.100:80") && out.contains("Listen 10.20.30.200:80"), out);
        assertTrue(out.contains("-> 200 \"hello from web1\""), out);
        assertTrue(out.contains("-> 200 \"hello from web2\""), out);
        assertTrue(out.contains("GET http://10.20.30.100:8081/ -> refused"), out);
        assertTrue(out.contains("-> 200 \"hello from bridge sandbox 10.89.0.2\""), out);
        assertTrue(out.contains("-> 200 \"hello from app on 127.0.0.1\""), out);
        assertTrue(out.contains("interfaces inside [lo (up)]"), out);
        assertTrue(out.contains("iso: GET http://10.20.30.100/ -> refused ("), out);
        // step (f): IPv6 host addresses fetched with curl -6 from the client, through the lab's IPv6 firewall
        // (INPUT DROP, opened by expose), and a dual-stack bridge sandbox answering on its IPv6 address
        assertTrue(out.contains("web6a Listen [fd00:20:30::100]:80 up"), out);
        assertTrue(out.contains("curl -6 http://[fd00:20:30::100]/ -> 200 \"hello from web6a\""), out);
        assertTrue(out.contains("curl -6 http://[fd00:20:30::200]/ -> 200 \"hello from web6b\""), out);
        assertTrue(flat.contains("curl -6 http://[fd00:20:30::100]:8081/ -> refused (curl: "), "not exposed: " + out);
        assertTrue(flat.matches("(?s).*eth0 10\\.89\\.6\\.\\d+, fd89:0:0:6::\\d+ on bridge netns6.*"), out);
        assertTrue(out.contains("lab: curl -6 http://[fd89:0:0:6::2]/ -> 200 \"hello from dual-stack sandbox fd89:0:0:6::2\""),
                out);
        // its port published in both families, fetched from the client through the lab's addresses
        assertTrue(out.contains("client: curl -6 http://[fd00:20:30::100]:8086/ -> 200 \"hello from dual-stack sandbox "
                + "fd89:0:0:6::2\""), out);
        assertTrue(out.contains("client: GET http://10.20.30.100:8086/ -> 200 \"hello from dual-stack sandbox "
                + "fd89:0:0:6::2\""), out);
        try (var names = Files.list(Path.of("/run/netns"))) {
            assertFalse(names.anyMatch(p -> p.getFileName().toString().startsWith(prefix)), "namespaces left");
        }
        try (var records = Files.list(Path.of("/run/netns.d/sandboxes"))) {
            assertFalse(records.anyMatch(p -> p.getFileName().toString().startsWith(prefix)), "owner records left");
        }
        return out;
    }

    @Test
    void quickStartBindsInsideAndRemovesItsNamespace() throws IOException {
        String name = "qsit" + ProcessHandle.current().pid();
        QuickStart.Bound b = QuickStart.run(name);
        // the socket was made on a thread inside the new namespace, not in the JVM's own
        assertEquals(b.namespace(), b.socketNamespace());
        String own = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
        assertFalse(own.equals("net:[" + b.socketNamespace() + "]"), "bound in the JVM's own namespace " + own);
        assertTrue(b.port() >= 1024 && b.port() <= 65535, "an ephemeral port: " + b.port());
        assertFalse(Files.exists(Path.of("/run/netns", name)));
        assertFalse(Files.exists(Path.of("/run/netns.d/sandboxes", name)));
    }
}
