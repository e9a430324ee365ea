package io.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.internal.OwnerRecord;
import io.netns.testing.Cmd;
import io.netns.testing.TestLab;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** none, host and container sandboxes on a lab host, checked with ip, /proc and real sockets. */
class SandboxIT {
    @RegisterExtension
    final TestLab testLab = new TestLab("sbit");

    private final String p = testLab.prefix();
    private Host lab;

    @BeforeEach
    void makeLab() throws NetnsException {
        lab = testLab.host();
    }

    @Test
    void noneHasExactlyLoopbackUpAndIsPersistedUnderItsName() throws Exception {
        try (Sandbox iso = lab.create(p + "iso", NetworkMode.none())) {
            assertEquals(p + "iso", iso.namespace().name());
            assertTrue(Cmd.run("ip", "netns", "list").contains(p + "iso"));
            String links = Cmd.run("ip", "-n", p + "iso", "-o", "link", "show");
            assertEquals(1, links.lines().count(), links);
            assertTrue(links.contains("lo:") && links.contains("UP"), links);
            assertEquals(List.of(), iso.addresses());
            // lo really works: a connection on 127.0.0.1 inside succeeds.
            iso.run(() -> {
                try (ServerSocket s = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
                        Socket c = new Socket()) {
                    c.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort()), 2000);
                    s.accept().close();
                }
            });
        }
        assertFalse(Cmd.run("ip", "netns", "list").contains(p + "iso"), "close removes the namespace");
        assertFalse(Files.exists(OwnerRecord.DIR.resolve(p + "iso")), "close removes the owner record");
    }

    @Test
    void aProcessStartedInsideIsInsideAndIsStoppedOnClose() throws Exception {
        Sandbox iso = lab.create(p + "proc", NetworkMode.none());
        Process sleep = iso.start(new ProcessBuilder("sleep", "60"));
        String link = Files.readSymbolicLink(Path.of("/proc/" + sleep.pid() + "/ns/net")).toString();
        assertEquals("net:[" + iso.namespace().inode() + "]", link);
        Cmd.Result ipLink = Cmd.finish("ip -o link", iso.start(new ProcessBuilder("ip", "-o", "link")));
        assertEquals(0, ipLink.exit(), ipLink.error());
        String out = ipLink.output();
        assertEquals(1, out.lines().count(), "the child sees only lo: " + out);
        iso.close();
        assertFalse(sleep.isAlive(), "close stops the processes the sandbox started");
        iso.close(); // idempotent
    }

    @Test
    void noFileDescriptorOfOursLeaksIntoAChild() throws Exception {
        try (Sandbox iso = lab.create(p + "fds", NetworkMode.none())) {
            Process ls = iso.start(new ProcessBuilder("sh", "-c", "ls -l /proc/$$/fd"));
            String out = new String(ls.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(ls.waitFor(10, TimeUnit.SECONDS));
            assertFalse(out.contains("net:["), "a namespace descriptor reached the child:\n" + out);
            assertFalse(out.contains("/run/netns"), "a namespace descriptor reached the child:\n" + out);
            assertFalse(out.contains("socket:["), "a socket of ours reached the child:\n" + out);
        }
    }

    @Test
    void containerSharesThePortSpaceOfWhatItJoinsAndTheHostDoesNot() throws Exception {
        try (Sandbox web = lab.create(p + "web", NetworkMode.none())) {
            Sandbox side = lab.create(p + "side", NetworkMode.container(p + "web"));
            assertEquals(web.namespace(), side.namespace(), "same stack, same inode");
            assertNotEquals(lab.namespace(), side.namespace());
            try (ServerSocket s = web.call(() -> new ServerSocket(0, 5, InetAddress.getLoopbackAddress()))) {
                int port = s.getLocalPort();
                // The joiner reaches web's server on 127.0.0.1 and cannot bind its port ...
                side.run(() -> {
                    try (Socket c = new Socket()) {
                        c.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
                    }
                    assertThrows(BindException.class, () -> new ServerSocket(port, 5, InetAddress.getLoopbackAddress()).close());
                });
                // ... while the lab host has its own port space.
                lab.namespace().run(() -> new ServerSocket(port, 5, InetAddress.getLoopbackAddress()).close());
            }
            // Joined by pid and by path: the same stack.
            Process sleep = web.start(new ProcessBuilder("sleep", "30"));
            try (Sandbox byPid = lab.create(p + "bypid", NetworkMode.container(sleep.pid()));
                    Sandbox byPath = lab.create(p + "bypath", NetworkMode.container(Path.of("/run/netns", p + "web")))) {
                assertEquals(web.namespace(), byPid.namespace());
                assertEquals(web.namespace(), byPath.namespace());
            }
            // Closing the joiner leaves web's stack alone.
            side.close();
            assertTrue(Cmd.run("ip", "netns", "list").contains(p + "web"));
            assertEquals(web.namespace().inode(), (long) web.call(NetNamespaceIT::threadInode));
        }
    }

    @Test
    void closingTheOwnerClosesItsJoinersFirst() throws Exception {
        Sandbox web = lab.create(p + "own", NetworkMode.none());
        Sandbox side = lab.create(p + "join", NetworkMode.container(web));
        // each process notes, when it gets SIGTERM, its name and whether the owner's namespace still exists
        Path log = Files.createTempFile(p, ".log");
        try {
            String note = "trap 'if [ -e /run/netns/" + p + "own ]; then s=present; else s=gone; fi; echo \"$0 $s\" >> " + log
                    + "; exit 0' TERM; echo up >> " + log + ".$0; while :; do sleep 0.05; done";
            // (output discarded: close closes the pipes, and a shell reporting its killed sleep would die of SIGPIPE)
            Process own = web.start(new ProcessBuilder("sh", "-c", note, "owner")
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD));
            Process joiner = side.start(new ProcessBuilder("sh", "-c", note, "joiner")
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD));
            for (String who : List.of("owner", "joiner")) {
                Path up = Path.of(log + "." + who);
                for (int i = 0; i < 100 && !Files.exists(up); i++) {
                    Thread.sleep(20);
                }
                assertTrue(Files.exists(up), who + " started");
                Files.delete(up);
            }
            web.close();
            assertTrue(side.isClosed());
            assertFalse(own.isAlive());
            assertFalse(joiner.isAlive());
            assertTrue(lab.sandboxes().isEmpty());
            // the joiner was stopped first, and both while the owner's stack was still there
            assertEquals(List.of("joiner present", "owner present"), Files.readAllLines(log),
                    "exit codes: owner " + own.exitValue() + ", joiner " + joiner.exitValue());
            assertFalse(Files.exists(NetNamespace.NETNS_DIR.resolve(p + "own")), "then the owner's namespace went");
        } finally {
            Files.deleteIfExists(log);
        }
    }

    @Test
    void processesListsTheLiveOnesAndCloseStopsAChildIgnoringSigtermWithItsDescendants() throws Exception {
        Sandbox s = lab.create(p + "proc", NetworkMode.none());
        Process quick = s.start(new ProcessBuilder("true"));
        // a child that ignores SIGTERM, with two descendants that inherit the ignoring
        Process stubborn = s.start(new ProcessBuilder("sh", "-c", "trap '' TERM; sleep 300 & sleep 301 & wait; wait"));
        assertTrue(quick.waitFor(10, TimeUnit.SECONDS));
        assertEquals(List.of(stubborn), s.processes(), "only the running one");
        List<ProcessHandle> kids = List.of();
        for (int i = 0; i < 100 && kids.size() < 2; i++) {
            Thread.sleep(20);
            kids = stubborn.descendants().toList();
        }
        assertEquals(2, kids.size(), "two sleeps: " + kids);
        // they live in the sandbox's namespace (the kernel's view through /proc)
        for (ProcessHandle k : kids) {
            assertEquals("net:[" + s.namespace().inode() + "]",
                    Files.readSymbolicLink(Path.of("/proc/" + k.pid() + "/ns/net")).toString());
        }
        long t0 = System.nanoTime();
        s.close();
        long millis = (System.nanoTime() - t0) / 1_000_000;
        try {
            assertFalse(stubborn.isAlive(), "the child ignoring SIGTERM was killed");
            for (ProcessHandle k : kids) {
                for (int i = 0; i < 100 && k.isAlive(); i++) {
                    Thread.sleep(20);
                }
                assertFalse(k.isAlive(), "descendant " + k.pid() + " was killed");
            }
        } finally {
            stubborn.destroyForcibly(); // what close left, when it failed to
            kids.forEach(ProcessHandle::destroyForcibly);
        }
        assertTrue(millis >= Sandbox.STOP_GRACE_MILLIS - 100, "SIGKILL only after the grace period: " + millis + " ms");
        assertTrue(millis < Sandbox.STOP_GRACE_MILLIS + 8000, "close took " + millis + " ms");
        assertEquals(List.of(), s.processes());
    }

    @Test
    void hostModeSharesTheHostsStack() throws Exception {
        try (Sandbox h = lab.create(p + "h", NetworkMode.host())) {
            assertEquals(lab.namespace(), h.namespace());
            try (ServerSocket s = h.call(() -> new ServerSocket(0, 5, InetAddress.getLoopbackAddress()))) {
                lab.namespace().run(() -> {
                    try (Socket c = new Socket()) {
                        c.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort()), 2000);
                    }
                });
            }
        }
        assertTrue(Files.exists(NetNamespace.NETNS_DIR.resolve(p + "lab")), "closing a host sandbox keeps the host");
    }

    @Test
    void namesAreCheckedAndADuplicateLeavesTheFirstUnharmed() throws Exception {
        try (Sandbox a = lab.create(p + "dup", NetworkMode.none())) {
            NetnsException e = assertThrows(NetnsException.class, () -> lab.create(p + "dup", NetworkMode.none()));
            assertTrue(e.getMessage().contains("already exists"), e.getMessage());
            assertTrue(Cmd.run("ip", "-n", p + "dup", "-o", "link").contains("lo:"));
            assertEquals(a, lab.sandbox(p + "dup").orElseThrow());
        }
        for (String bad : new String[] {"", "..", "a/b", "a\nb", "x".repeat(300)}) {
            assertThrows(IllegalArgumentException.class, () -> lab.create(bad, NetworkMode.none()), bad);
        }
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> lab.create(p + "j", NetworkMode.container("nosuchsandbox")));
        assertTrue(unknown.getMessage().contains("nosuchsandbox"), unknown.getMessage());
        assertFalse(Files.exists(OwnerRecord.DIR.resolve(p + "j")), "a failed create leaves no record");
        assertFalse(Cmd.run("ip", "netns", "list").contains(p + "j"));
    }

    @Test
    void hostCloseClosesEverySandboxAndTheLab() throws Exception {
        Sandbox a = lab.create(p + "c1", NetworkMode.none());
        Sandbox b = lab.create(p + "c2", NetworkMode.container(a));
        lab.close();
        assertTrue(a.isClosed() && b.isClosed());
        assertFalse(Cmd.run("ip", "netns", "list").contains(p));
        lab = null;
    }
}
