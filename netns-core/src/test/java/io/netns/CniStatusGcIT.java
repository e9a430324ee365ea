package io.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.testing.TestLab;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * STATUS and GC (spec 1.1) through the public API, against a stand-in plugin that speaks 1.1.0 (Debian's
 * plugins stop at 1.0.0): STATUS once before the first ADD of a network, a failing STATUS stops create
 * before anything is made, and {@code reclaim()} tells GC the attachments of the live sandboxes.
 */
class CniStatusGcIT {
    @RegisterExtension
    final TestLab testLab = new TestLab("cnigc");

    private final String p = testLab.prefix();
    private Host lab;

    @TempDir
    Path tmp;

    @BeforeEach
    void setUp() throws Exception {
        lab = testLab.host();
        try (InputStream in = CniStatusGcIT.class.getResourceAsStream("/io/netns/internal/cni/fake-plugin")) {
            Path f = tmp.resolve("fk");
            Files.write(f, in.readAllBytes());
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        Files.writeString(tmp.resolve("fk.ADD.out"), "{\"cniVersion\":\"1.1.0\",\"ips\":[{\"address\":\"10.99.0.5/24\"}]}");
    }

    private CniMode mode(String net) throws Exception {
        Files.writeString(tmp.resolve(net + ".conflist"), "{\"cniVersion\":\"1.1.0\",\"name\":\"" + net
                + "\",\"plugins\":[{\"type\":\"fk\"}]}");
        return NetworkMode.cni(net).confDir(tmp).pluginDirs(tmp);
    }

    private List<String> calls() throws Exception {
        return Files.readAllLines(tmp.resolve("calls"));
    }

    @Test
    void statusOnceBeforeTheFirstAddAndGcWithTheLiveAttachments() throws Exception {
        CniMode mode = mode(p + "net");
        Sandbox a = lab.create(p + "a", mode);
        Sandbox b = lab.create(p + "b", mode);
        assertEquals(InetAddress.getByName("10.99.0.5"), a.cniResult().orElseThrow().ips().get(0).address());
        assertEquals(List.of("VERSION fk", "STATUS fk", "ADD fk", "ADD fk"), calls());
        assertTrue(Files.readString(tmp.resolve("fk.ADD.env")).contains("CNI_NETNS=/run/netns/" + p + "b"));

        assertEquals(List.of(), lab.reclaim());
        String gc = Files.readString(tmp.resolve("fk.GC.stdin"));
        assertTrue(gc.contains("\"cni.dev/valid-attachments\":[{\"containerID\":\"" + p + "a\",\"ifname\":\"eth0\"},"
                + "{\"containerID\":\"" + p + "b\",\"ifname\":\"eth0\"}]"), gc);
        assertTrue(a.check());
        a.close();
        assertEquals(List.of(), lab.reclaim());
        gc = Files.readString(tmp.resolve("fk.GC.stdin"));
        assertTrue(gc.contains("\"cni.dev/valid-attachments\":[{\"containerID\":\"" + p + "b\",\"ifname\":\"eth0\"}]"), gc);
        b.close();
        assertEquals(List.of("VERSION fk", "STATUS fk", "ADD fk", "ADD fk", "GC fk", "CHECK fk", "DEL fk", "GC fk", "DEL fk"),
                calls());
    }

    @Test
    void aFailingStatusStopsCreateBeforeAnythingIsMade() throws Exception {
        Files.writeString(tmp.resolve("fk.STATUS.out"), "{\"cniVersion\":\"1.1.0\",\"code\":50,\"msg\":\"no daemon\"}");
        Files.writeString(tmp.resolve("fk.STATUS.rc"), "1");
        CniMode mode = mode(p + "down");
        CniException e = assertThrows(CniException.class, () -> lab.create(p + "s", mode));
        assertEquals(CniException.NOT_AVAILABLE, e.code());
        assertEquals("STATUS", e.verb());
        assertFalse(Files.exists(NetNamespace.NETNS_DIR.resolve(p + "s")));
        assertEquals(List.of("VERSION fk", "STATUS fk"), calls());
        // ready again: STATUS is asked again, then ADD
        Files.delete(tmp.resolve("fk.STATUS.rc"));
        Files.delete(tmp.resolve("fk.STATUS.out"));
        lab.create(p + "s", mode).close();
        assertEquals(List.of("VERSION fk", "STATUS fk", "STATUS fk", "ADD fk", "DEL fk"), calls());
    }
}
