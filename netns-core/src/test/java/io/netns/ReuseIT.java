package io.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.testing.Cmd;
import io.netns.testing.TestLab;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An address is never answered for twice (issue 13, item 6), and namespaces netns holds are reopened by
 * their descriptor, never by a path that may mean another namespace later (item 7).
 */
class ReuseIT {
    @RegisterExtension
    final TestLab testLab = new TestLab("reuse");
    private final String p = testLab.prefix();
    private Host lab;

    @BeforeEach
    void makeLab() throws NetnsException {
        lab = testLab.host();
    }

    /** Connects, trying for a few seconds (a loaded machine may be slow to resolve a fresh neighbour). */
    private static void connect(InetAddress ip, int port) throws IOException {
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            try (Socket c = new Socket()) {
                c.connect(new InetSocketAddress(ip, port), 2000);
                return;
            } catch (IOException e) {
                last = e;
            }
        }
        throw last;
    }

    @Test
    void aNamespaceThatOutlivesCloseNoLongerAnswersForTheLeasedAddress() throws Exception {
        // A /30: one sandbox address, .2, so the next sandbox gets the closed one's address.
        BridgeMode one = NetworkMode.bridge().name("nsre").subnet("10.91.0.0/30");
        InetAddress gateway = InetAddress.getByName("10.91.0.1");
        try (ServerSocket server = lab.namespace().call(() -> new ServerSocket(7100, 50))) {
            Sandbox a = lab.create(p + "a", one);
            assertEquals("10.91.0.2", a.addresses().get(0).getHostAddress());
            NetNamespace kept;
            kept = a.call(NetNamespace::current); // like a socket or thread that keeps the namespace alive
            try {
                kept.run(() -> connect(gateway, 7100));
                server.accept().close();
                a.close();
                try (Sandbox b = lab.create(p + "b", one)) {
                    assertEquals("10.91.0.2", b.addresses().get(0).getHostAddress(), "the address is leased again");
                    b.run(() -> connect(gateway, 7100));
                    server.accept().close();
                    // the old namespace still has 10.91.0.2 on its eth0, but no carrier on the bridge
                    assertThrows(IOException.class, () -> kept.run(() -> connect(gateway, 7100)),
                            "the closed sandbox's namespace must not reach the bridge any more");
                    String ports = Cmd.run("ip", "-n", p + "lab", "-o", "link", "show", "master", "nsre");
                    assertEquals(1, ports.lines().filter(l -> l.contains("state UP")).count(), ports);
                }
            } finally {
                kept.close();
            }
        }
    }

    @Test
    void aSandboxMadeAgainUnderTheSameNameGetsTheAddressAndTheOldNamespaceLosesTheBridge() throws Exception {
        BridgeMode one = NetworkMode.bridge().name("nsre2").subnet("10.91.1.0/30");
        InetAddress gateway = InetAddress.getByName("10.91.1.1");
        try (ServerSocket server = lab.namespace().call(() -> new ServerSocket(7101, 50))) {
            Sandbox a = lab.create(p + "a", one);
            NetNamespace kept = a.call(NetNamespace::current);
            try {
                a.close();
                try (Sandbox again = lab.create(p + "a", one)) {
                    assertEquals("10.91.1.2", again.addresses().get(0).getHostAddress());
                    again.run(() -> connect(gateway, 7101));
                    server.accept().close();
                    assertThrows(IOException.class, () -> kept.run(() -> connect(gateway, 7101)),
                            "the first sandbox's namespace must not reach the bridge any more");
                }
            } finally {
                kept.close();
            }
        }
    }

    @Test
    void aNamespaceStillHeldTwoSecondsAfterCloseLosesTheBridgeEvenWithoutANewLease() throws Exception {
        BridgeMode one = NetworkMode.bridge().name("nsre3").subnet("10.91.2.0/30");
        InetAddress gateway = InetAddress.getByName("10.91.2.1");
        try (ServerSocket server = lab.namespace().call(() -> new ServerSocket(7102, 50))) {
            Sandbox a = lab.create(p + "a", one);
            NetNamespace kept = a.call(NetNamespace::current); // another JVM could lease the address now
            try {
                a.close();
                Thread.sleep(VethIsolation.GRACE_MILLIS + 1000);
                assertThrows(IOException.class, () -> kept.run(() -> connect(gateway, 7102)),
                        "the closed sandbox's namespace must not reach the bridge after the grace period");
            } finally {
                kept.close();
            }
        }
    }

    @Test
    void hostAndContainerModesReopenByTheHeldDescriptor() throws Exception {
        // A host made from the calling thread's namespace while that thread is inside the lab: the path
        // /proc/thread-self/ns/net means the initial namespace to any other thread.
        try (Host inLab = lab.namespace().call(() -> Host.of(NetNamespace.current()))) {
            assertTrue(inLab.namespace().path().toString().startsWith("/proc/"), inLab.namespace().path().toString());
            try (Sandbox h = inLab.create(p + "h", NetworkMode.host())) {
                assertEquals(lab.namespace(), h.namespace(), "host mode is the host's namespace");
                long inode = h.call(() -> ((Number) Files.getAttribute(Path.of("/proc/thread-self/ns/net"), "unix:ino"))
                        .longValue());
                assertEquals(lab.namespace().inode(), inode, "work runs in the lab");
                try (Sandbox c = inLab.create(p + "c", NetworkMode.container(h))) {
                    assertEquals(lab.namespace(), c.namespace(), "container mode joins that same namespace");
                }
            }
        }
    }
}
