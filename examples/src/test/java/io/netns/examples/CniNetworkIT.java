package io.netns.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.junit.NetnsTest;
import io.netns.testing.CniLab;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The CNI example: a real HTTP fetch through portmap's published port, then nothing left. */
@NetnsTest
class CniNetworkIT {
    @Test
    void theClientFetchesThePageThroughThePortmapPort() throws Exception {
        CniLab.requirePlugins();
        String prefix = "cniex" + ProcessHandle.current().pid();
        String out = CniNetwork.run(prefix);
        String[] lines = out.split("\n");
        assertEquals("200 hello from 10.22.0.2:80", lines[0]);
        assertTrue(lines[1].contains("\"address\":\"10.22.0.2/24\""), lines[1]);
        for (String n : new String[] {"-host", "-client", "-web"}) {
            assertFalse(Files.exists(Path.of("/run/netns", prefix + n)), prefix + n);
        }
        assertFalse(Files.exists(Path.of("/run/netns.d/cni/results", prefix + "-net-" + prefix + "-web-eth0")), "cache entry left");
    }
}
