package io.netns.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.Host;
import io.netns.NetNamespace;
import io.netns.Netns;
import io.netns.NetnsException;
import io.netns.NetworkMode;
import io.netns.internal.StateDir;
import io.netns.testing.ChildJvm;
import io.netns.testing.TestLab;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The state directory (issue 13, item 8): modes whatever the umask, no symbolic link followed, no
 * directory another user can change, and the real host's id reserved.
 */
@Timeout(120)
class StateFilesIT {
    @RegisterExtension
    final TestLab testLab = new TestLab("stf");
    private final String p = testLab.prefix();
    private final List<Path> cleanup = new ArrayList<>();
    private Host lab;

    @AfterEach
    void cleanUp() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            Files.deleteIfExists(cleanup.get(i));
        }
        // then TestLab closes the lab and fails on any namespace, owner record or lease directory of ours
    }

    @Test
    void modesAreExactUnderUmask000() throws Exception {
        ChildJvm.Result r = ChildJvm.run(ChildJvm.argv(List.of("sh", "-c", "umask 000; exec \"$@\"", "sh"),
                System.getProperty("java.class.path"), StateFilesChild.class, p), 120);
        assertEquals(0, r.exit(), r.output());
        String out = r.output();
        assertTrue(out.contains("control rwxrwxrwx"), "the child runs under umask 000: " + out);
        for (String dir : List.of("hostdir", "netdir")) {
            assertTrue(out.contains(dir + " rwxr-xr-x"), dir + " is 0755: " + out);
        }
        for (String file : List.of("record", "lease")) {
            assertTrue(out.contains(file + " rw-r--r--"), file + " is 0644: " + out);
        }
        assertTrue(out.contains("done"), out);
    }

    @Test
    void aSymbolicLinkAsARecordIsRefusedAndNamed() throws Exception {
        lab = testLab.host();
        Path target = Path.of("/tmp", p + "target");
        Path link = StateDir.path("sandboxes", p + "ln");
        Files.createDirectories(link.getParent());
        cleanup.add(target);
        cleanup.add(link);
        Files.createSymbolicLink(link, target);
        NetnsException e = assertThrows(NetnsException.class, () -> lab.create(p + "ln", NetworkMode.none()));
        assertTrue(e.getMessage().contains(link.toString()) && e.getMessage().contains("symbolic link"), e.getMessage());
        assertFalse(Files.exists(target), "nothing written through the link");
        assertFalse(Files.exists(NetNamespace.NETNS_DIR.resolve(p + "ln")), "no namespace made");
    }

    @Test
    void aSymbolicLinkAsALeaseDirectoryIsRefusedAndNothingIsWrittenThrough() throws Exception {
        lab = testLab.host();
        Path target = Files.createDirectory(Path.of("/tmp", p + "leases"));
        Path link = StateDir.path("ipam", p + "lab");
        Files.createDirectories(link.getParent());
        cleanup.add(target);
        cleanup.add(link);
        Files.createSymbolicLink(link, target);
        NetnsException e = assertThrows(NetnsException.class, () -> lab.create(p + "b", NetworkMode.bridge()));
        assertTrue(e.getMessage().contains(link.toString()) && e.getMessage().contains("symbolic link"), e.getMessage());
        try (var files = Files.list(target)) {
            assertEquals(List.of(), files.toList(), "nothing written through the link");
        }
        assertFalse(Files.exists(NetNamespace.NETNS_DIR.resolve(p + "b")), "no namespace made");
    }

    @Test
    void aSymbolicLinkInRunNetnsIsNotOpened() throws Exception {
        Path link = NetNamespace.NETNS_DIR.resolve(p + "ln");
        Files.createDirectories(link.getParent());
        cleanup.add(link);
        Files.createSymbolicLink(link, Path.of("/proc/self/ns/net"));
        NetnsException e = assertThrows(NetnsException.class, () -> NetNamespace.open(p + "ln").close());
        assertTrue(e.getMessage().contains(link.toString()) && e.getMessage().contains("symbolic link"), e.getMessage());
    }

    @Test
    void aDirectoryAnotherUserOwnsOrCanWriteIsRefused() throws Exception {
        lab = testLab.host();
        Path dir = StateDir.path("ipam", p + "lab");
        Files.createDirectories(dir);
        cleanup.add(dir);
        // Rootless, a user namespace maps one user id: there is no other user to hand the directory to.
        if (Netns.mode() != Netns.Mode.ROOTLESS) {
            Files.setAttribute(dir, "unix:uid", 4242);
            NetnsException e = assertThrows(NetnsException.class, () -> lab.create(p + "b", NetworkMode.bridge()));
            assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("uid 4242"), e.getMessage());
            assertFalse(Files.exists(NetNamespace.NETNS_DIR.resolve(p + "b")), "no namespace made");
            Files.setAttribute(dir, "unix:uid", 0);
        }
        Files.setAttribute(dir, "unix:mode", 0777);
        NetnsException e = assertThrows(NetnsException.class, () -> lab.create(p + "c", NetworkMode.bridge()));
        assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("0777"), e.getMessage());
    }

    @Test
    void theRealHostsIdCannotBeTakenByALab() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Host.createLab("host").close());
        assertTrue(e.getMessage().contains("'host'") && e.getMessage().contains("reserved"), e.getMessage());
        assertFalse(Files.exists(NetNamespace.NETNS_DIR.resolve("host")), "no namespace made");
        try (Host same = Host.of(NetNamespace.initial())) {
            if (Netns.mode() == Netns.Mode.ROOTLESS) {
                NetnsException refused = assertThrows(NetnsException.class, Host::current);
                assertTrue(refused.getMessage().contains("rootless"), refused.getMessage());
                assertEquals("host", same.id(), "the initial namespace has Host.current()'s id");
            } else {
                assertEquals(Host.current().id(), same.id(), "the initial namespace has one id, whichever way it is opened");
            }
        }
    }
}
