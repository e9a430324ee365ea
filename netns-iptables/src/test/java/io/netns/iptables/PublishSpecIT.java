package io.netns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.net.ServerSocket;
import java.net.Socket;
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

    @Test
    void rangesAndChoicesPublishAsDockerDoesAndReconcileKeepsTheChoices() throws Exception {
        Host lab = testLab.host();
        NetNamespace labNs = lab.namespace();
        Sandbox web = lab.create(testLab.name("web"), NetworkMode.bridge()
                .publish("127.0.0.1:18090-18092:80-82")   // a range, port for port
                .publish("18100-18105:83")                // a choice: one free port of 18100..18105
                .publish("127.0.0.1::84"));               // any free port of the ephemeral range
        for (int port = 80; port <= 84; port++) {
            testLab.closeLater(answerPort(web.namespace(), port));
        }
        List<PublishedPort> got = web.published();
        assertEquals(3, got.size(), got.toString());
        assertEquals(PublishedPort.parse("127.0.0.1:18090-18092:80-82"), got.get(0), "a range is published as given");
        PublishedPort choice = got.get(1);
        assertFalse(choice.choosesHostPort(), "the choice is made: " + choice);
        assertTrue(choice.hostPort() >= 18100 && choice.hostPort() <= 18105 && choice.containerPort() == 83, choice.toString());
        PublishedPort any = got.get(2);
        String[] range = Lab.exec(labNs, "cat", "/proc/sys/net/ipv4/ip_local_port_range").trim().split("\\s+");
        assertTrue(any.hostPort() >= Integer.parseInt(range[0]) && any.hostPort() <= Integer.parseInt(range[1])
                && any.containerPort() == 84 && !any.choosesHostPort(), any + " in " + String.join("-", range));

        // each host port reaches its own container port
        for (int i = 0; i < 3; i++) {
            assertEquals(Integer.toString(80 + i), Lab.connect(labNs, "127.0.0.1", 18090 + i), "range port " + (18090 + i));
        }
        assertEquals("83", Lab.connect(labNs, "10.89.0.1", choice.hostPort()), "the chosen port");
        assertEquals("84", Lab.connect(labNs, "127.0.0.1", any.hostPort()), "the free port taken");

        // another sandbox with the same choice gets another port of the range
        Sandbox api = lab.create(testLab.name("api"), NetworkMode.bridge().publish("18100-18105:83"));
        testLab.closeLater(answerPort(api.namespace(), 83));
        int apiPort = api.published().get(0).hostPort();
        assertTrue(apiPort != choice.hostPort() && apiPort >= 18100 && apiPort <= 18105, api.published().toString());

        // after a flush, reconcile() makes the same ports again: the choices are not made anew
        Lab.exec(labNs, "nft", "flush", "ruleset");
        lab.reconcile();
        assertEquals(got, web.published());
        assertEquals("83", Lab.connect(labNs, "10.89.0.1", choice.hostPort()), "the same chosen port after reconcile");
        assertEquals("84", Lab.connect(labNs, "127.0.0.1", any.hostPort()), "the same free port after reconcile");
        assertEquals("81", Lab.connect(labNs, "127.0.0.1", 18091));
        assertEquals("83", Lab.connect(labNs, "10.89.0.1", apiPort));
    }

    /** A TCP server on {@code port} in {@code ns} that answers each connection with its port number. */
    private static ServerSocket answerPort(NetNamespace ns, int port) throws Exception {
        ServerSocket ss = ns.call(() -> new ServerSocket(port));
        Thread t = new Thread(() -> {
            while (!ss.isClosed()) {
                try (Socket c = ss.accept()) {
                    c.getOutputStream().write((port + "\n").getBytes(StandardCharsets.UTF_8));
                } catch (IOException closed) {
                    // closed, or a client that went away
                }
            }
        }, "answer-port-" + port);
        t.setDaemon(true);
        t.start();
        return ss;
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
