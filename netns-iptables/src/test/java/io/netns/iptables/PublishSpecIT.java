package io.netns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.Host;
import io.netns.NetNamespace;
import io.netns.NetworkMode;
import io.netns.PublishedPort;
import io.netns.Sandbox;
import io.netns.testing.TestLab;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 18 item 2: a bridge sandbox published with Docker's {@code -p} text in a lab host gets real TCP and
 * UDP traffic on exactly the host address and port the text names, {@link Sandbox#published()} tells the
 * ports as published, and {@link Host#reconcile()} after a flush makes those same ports again. Checked with
 * connections from the lab host and with {@code nft list ruleset} read in the lab.
 */
@Timeout(120)
class PublishSpecIT {
    @RegisterExtension
    final TestLab testLab = new TestLab("iptspec");

    @Test
    void dockerTextPublishesRealPortsOnTheNamedAddress() throws Exception {
        Host lab = testLab.host();
        NetNamespace labNs = lab.namespace();
        Sandbox web = lab.create(testLab.name("web"),
                NetworkMode.bridge().publish("127.0.0.1:18080:80").publish("18081:81/udp"));
        testLab.closeLater(Lab.answer(web.namespace(), 80));
        testLab.closeLater(udpEcho(web.namespace(), 81));

        assertEquals(List.of(PublishedPort.parse("127.0.0.1:18080:80"), PublishedPort.parse("18081:81/udp")),
                web.published(), "the ports as published, in order");
        assertEquals("[tcp 127.0.0.1:18080->80, udp *:18081->81]", web.published().toString());

        assertEquals(Lab.Outcome.CONNECTED, Lab.attempt(labNs, "127.0.0.1", 18080, 2000), "tcp on 127.0.0.1");
        assertEquals(Lab.Outcome.REFUSED, Lab.attempt(labNs, "10.89.0.1", 18080, 2000),
                "published on 127.0.0.1 only: the lab's bridge address is not DNATed");
        assertEquals("hi", Lab.udp(labNs, "10.89.0.1", 18081, 2000), "udp on every address: the bridge's");
        assertEquals("hi", Lab.udp(labNs, "127.0.0.1", 18081, 2000), "udp on every address: 127.0.0.1");
        assertNull(Lab.udp(labNs, "127.0.0.1", 18082, 500), "nothing else is published");

        String ruleset = Lab.exec(labNs, "nft", "list", "ruleset");
        assertTrue(ruleset.contains("18080") && ruleset.contains("18081"), ruleset);
        assertTrue(ruleset.contains("netns:" + lab.id() + "/sandbox/" + web.name()), ruleset);

        // after a flush the same ports come back through reconcile()
        Lab.exec(labNs, "nft", "flush", "ruleset");
        assertTrue(Lab.attempt(labNs, "127.0.0.1", 18080, 1000) != Lab.Outcome.CONNECTED, "the flush took the DNAT");
        List<String> changed = lab.reconcile();
        assertTrue(changed.stream().anyMatch(c -> c.contains(web.name())), changed.toString());
        assertEquals(Lab.Outcome.CONNECTED, Lab.attempt(labNs, "127.0.0.1", 18080, 2000), "tcp back");
        assertEquals("hi", Lab.udp(labNs, "10.89.0.1", 18081, 2000), "udp back");
        assertEquals(List.of(), lab.reconcile(), "nothing left to make");

        Sandbox none = lab.create(testLab.name("none"), NetworkMode.none());
        assertEquals(List.of(), none.published(), "other modes publish nothing");
        none.close();
        web.close();
        assertEquals(Lab.Outcome.REFUSED, Lab.attempt(labNs, "127.0.0.1", 18080, 1000), "closed: gone");
    }

    /** A UDP server in {@code ns} that answers every datagram with {@code hi}. */
    private static DatagramSocket udpEcho(NetNamespace ns, int port) throws Exception {
        DatagramSocket ds = ns.call(() -> new DatagramSocket(new InetSocketAddress(port)));
        Thread t = new Thread(() -> {
            byte[] buf = new byte[512];
            byte[] hi = "hi".getBytes(StandardCharsets.UTF_8);
            while (!ds.isClosed()) {
                try {
                    DatagramPacket in = new DatagramPacket(buf, buf.length);
                    ds.receive(in);
                    ds.send(new DatagramPacket(hi, hi.length, in.getSocketAddress()));
                } catch (IOException closed) {
                    // closed
                }
            }
        }, "udp-echo-" + port);
        t.setDaemon(true);
        t.start();
        return ds;
    }
}
