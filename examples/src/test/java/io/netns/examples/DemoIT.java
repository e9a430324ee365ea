package io.netns.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.Netns;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Runs the seed lab and the quick start as a user would, and checks what they print and leave. */
class DemoIT {
    @BeforeEach
    void gate() {
        Throwable cause = Netns.unavailabilityCause();
        if (cause != null && !"1".equals(System.getenv("NETNS_REQUIRE_PRIVILEGED"))) {
            Assumptions.abort("network namespaces are unavailable: " + cause);
        }
    }

    @Test
    void theSeedLabShowsEveryStepAndLeavesNothing() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        String prefix = "dit" + ProcessHandle.current().pid();
        Demo demo = new Demo(new PrintStream(bytes, true, StandardCharsets.UTF_8), prefix);
        try {
            demo.run("seed");
        } finally {
            demo.cleanup();
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("Address already in use"), out);
        assertTrue(out.contains("ADDRESS_IN_USE"), out);
        assertTrue(out.contains("Listen 10.20.30.100:80") && out.contains("Listen 10.20.30.200:80"), out);
        assertTrue(out.contains("-> 200 \"hello from web1\""), out);
        assertTrue(out.contains("-> 200 \"hello from web2\""), out);
        assertTrue(out.contains(":8081/ -> refused"), out);
        assertTrue(out.contains("-> 200 \"hello from bridge sandbox 10.89.0.2\""), out);
        assertTrue(out.contains("-> 200 \"hello from app on 127.0.0.1\""), out);
        assertTrue(out.contains("interfaces inside: [lo (up)]"), out);
        try (var names = Files.list(Path.of("/run/netns"))) {
            assertFalse(names.anyMatch(p -> p.getFileName().toString().startsWith(prefix)), "namespaces left");
        }
    }

    @Test
    void quickStartBindsInsideAndRemovesItsNamespace() throws IOException {
        String name = "qsit" + ProcessHandle.current().pid();
        int port = QuickStart.run(name);
        assertTrue(port > 0);
        assertFalse(Files.exists(Path.of("/run/netns", name)));
        assertEquals(false, Files.exists(Path.of("/run/netns.d/sandboxes", name)));
    }
}
