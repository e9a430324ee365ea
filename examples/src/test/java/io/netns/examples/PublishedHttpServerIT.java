package io.netns.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netns.junit.NetnsTest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The published-port example: a real HTTP fetch from another namespace, then nothing left. */
@NetnsTest
class PublishedHttpServerIT {
    @Test
    void theClientFetchesThePageThroughThePublishedPort() throws Exception {
        String prefix = "pubit" + ProcessHandle.current().pid();
        assertEquals("200 hello from 10.89.0.2:80", PublishedHttpServer.run(prefix));
        for (String n : new String[] {"-host", "-client", "-web"}) {
            assertFalse(Files.exists(Path.of("/run/netns", prefix + n)), prefix + n);
        }
        assertFalse(Files.exists(Path.of("/run/netns.d/ipam", prefix + "-host")), "leases of the lab host left");
    }
}
