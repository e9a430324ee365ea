package io.netns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.Firewall.Owner;
import io.netns.NetnsException;
import io.netns.Protocol;
import io.netns.testing.TestLab;
import io.netns.PublishedPort;
import io.netns.internal.StateDir;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 12 item 2: {@code route_localnet} comes with its guard, the guard is checked against the kernel on
 * every publication that needs it (so it survives {@code iptables -F} and comes back after
 * {@code nft flush ruleset}), and the sysctl goes back when the last such publication goes. "Blocked" is
 * proven by a connection that times out and by the guard's packet counter.
 *
 * <p>The attacker is the lab's client namespace, which routes 127.0.0.0/8 to the lab host (as a machine
 * on the same link could, CVE-2020-8558); the host listens on 127.0.0.1:9999.
 */
@Timeout(120)
class LocalnetGuardIT {
    @RegisterExtension
    final TestLab testLab = new TestLab("iptguard");
    private static final Pattern COUNTER = Pattern.compile("counter packets (\\d+) bytes \\d+ drop comment \""
            + Pattern.quote(NatTable.GUARD_TAG) + "\"");
    private Lab lab;
    private IptablesFirewall fw;
    private Owner web;
    private Owner other;

    @BeforeEach
    void setUp() throws Exception {
        lab = new Lab(testLab);
        lab.start();
        fw = new IptablesFirewall();
        web = Owner.sandbox(lab.host.name(), "web");
        other = Owner.sandbox(lab.host.name(), "other");
        fw.addNetwork(lab.host, Owner.network(lab.host.name(), Lab.BRIDGE), Lab.BRIDGE, Lab.SUBNET);
        lab.echoRemote(lab.host, "127.0.0.1", 9999);
        lab.echoRemote(lab.sbx, "0.0.0.0", 80);
        // the attacker: sends packets for 127.0.0.0/8 to the lab host
        Lab.ip(lab.client, "addr", "del", "127.0.0.1/8", "dev", "lo");
        Lab.exec(lab.client, "sysctl", "-q", "-w", "net.ipv4.conf.all.route_localnet=1",
                "net.ipv4.conf.eth0.route_localnet=1");
        Lab.ip(lab.client, "route", "add", "127.0.0.0/8", "via", Lab.HOST_IP, "dev", "eth0");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (lab != null) {
            StateDir.delete(Localnet.file(lab.host.name()));
            lab.close();
        }
    }

    private String routeLocalnet() throws Exception {
        return Lab.exec(lab.host, "cat", "/proc/sys/net/ipv4/conf/all/route_localnet").strip();
    }

    /** @return the guard's packet counter, or -1 when there is no guard */
    private long guardCounter() throws Exception {
        Matcher m = COUNTER.matcher(Leftovers.nat(lab.host.path().toString(), "ip"));
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** The attack is blocked: the connection times out, and the guard counted the dropped packets. */
    private void assertBlocked() throws Exception {
        long before = guardCounter();
        assertTrue(before >= 0, "the guard exists");
        assertEquals(Lab.Outcome.TIMED_OUT, Lab.attempt(lab.client, "127.0.0.1", 9999, 1000),
                "the host's 127.0.0.1 from the network: dropped");
        assertTrue(guardCounter() > before, "the guard dropped the SYNs");
    }

    private static PublishedPort any(int port) {
        return new PublishedPort(Protocol.TCP, null, port, 80);
    }

    @Test
    void theGuardComesWithTheSysctlAndStaysWhileItIsNeeded() throws Exception {
        assertEquals("0", routeLocalnet());
        assertFalse((Lab.attempt(lab.client, "127.0.0.1", 9999, 1000) == Lab.Outcome.CONNECTED), "without route_localnet the kernel drops them");
        fw.publish(lab.host, web, Lab.BRIDGE, InetAddress.getByName(Lab.SBX_IP), List.of(any(8080)));
        assertEquals("1", routeLocalnet());
        assertEquals(Lab.GATEWAY, Lab.connect(lab.host, "127.0.0.1", 8080), "what route_localnet is for");
        assertBlocked();

        // someone flushes iptables: the guard is not an iptables rule, it stays
        Lab.exec(lab.host, "iptables", "-F");
        Lab.exec(lab.host, "iptables", "-X");
        assertBlocked();

        // someone flushes everything: the next publication that needs the guard finds it missing and makes it
        Lab.exec(lab.host, "nft", "flush", "ruleset");
        assertEquals(-1, guardCounter());
        fw.publish(lab.host, other, Lab.BRIDGE, InetAddress.getByName(Lab.SBX2_IP), List.of(any(8081)));
        assertBlocked();

        // the control: without the guard the very same packets get through (so the checks above can fail)
        String handle = Lab.exec(lab.host, "nft", "-a", "list", "chain", "ip", NatTable.TABLE, NatTable.GUARD_CHAIN)
                .lines().filter(l -> l.contains(NatTable.GUARD_TAG)).findFirst().orElseThrow()
                .replaceAll(".*# handle (\\d+)$", "$1");
        Lab.exec(lab.host, "nft", "delete", "rule", "ip", NatTable.TABLE, NatTable.GUARD_CHAIN, "handle", handle);
        assertTrue((Lab.attempt(lab.client, "127.0.0.1", 9999, 1000) == Lab.Outcome.CONNECTED), "unguarded: reachable");
        fw.publish(lab.host, other, Lab.BRIDGE, InetAddress.getByName(Lab.SBX2_IP), List.of(any(8082)));
        assertBlocked();

        // a publication on a specific address does not need it; the last one that does takes both away
        fw.remove(lab.host, web);
        assertEquals("1", routeLocalnet(), "other still needs it");
        fw.publish(lab.host, web, Lab.BRIDGE, InetAddress.getByName(Lab.SBX_IP),
                List.of(new PublishedPort(Protocol.TCP, InetAddress.getByName(Lab.HOST_IP), 8090, 80)));
        fw.remove(lab.host, other);
        assertEquals("0", routeLocalnet(), "back to its value before");
        assertEquals(-1, guardCounter(), "the guard went with it");
        assertFalse(Files.exists(Localnet.file(lab.host.name())));
        assertEquals(Lab.CLIENT_IP, Lab.connect(lab.client, Lab.HOST_IP, 8090), "the specific publication still works");
        fw.remove(lab.host, web);
    }

    @Test
    void aSysctlAlreadyOnIsLeftOn() throws Exception {
        Lab.exec(lab.host, "sysctl", "-q", "-w", "net.ipv4.conf.all.route_localnet=1");
        fw.publish(lab.host, web, Lab.BRIDGE, InetAddress.getByName(Lab.SBX_IP), List.of(any(8080)));
        assertBlocked();
        fw.remove(lab.host, web);
        assertEquals("1", routeLocalnet(), "not ours to switch off");
        assertEquals(-1, guardCounter());
    }

    /** When the sysctl cannot be switched (here: its record cannot be written), neither it nor the guard stays. */
    @Test
    void aFailureLeavesNeitherGuardNorSysctl() throws Exception {
        Path f = Localnet.file(lab.host.name());
        Files.createDirectories(f.getParent());
        Files.createSymbolicLink(f, Path.of("/etc/passwd"));
        try {
            NetnsException e = assertThrows(NetnsException.class, () -> fw.publish(lab.host, web, Lab.BRIDGE,
                    InetAddress.getByName(Lab.SBX_IP), List.of(any(8080))));
            assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
        } finally {
            Files.delete(f);
        }
        assertEquals("0", routeLocalnet());
        assertEquals(-1, guardCounter());
        assertEquals(List.of(), Leftovers.taggedRules(lab.host.name(), web.tag()));
        // and the port is free again
        fw.publish(lab.host, web, Lab.BRIDGE, InetAddress.getByName(Lab.SBX_IP), List.of(any(8080)));
        assertEquals("1", routeLocalnet());
        fw.remove(lab.host, web);
        assertEquals("0", routeLocalnet());
    }
}
