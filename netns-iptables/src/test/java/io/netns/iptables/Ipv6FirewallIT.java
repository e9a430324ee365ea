package io.netns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.Firewall;
import io.netns.Firewall.Owner;
import io.netns.NetNamespace;
import io.netns.Protocol;
import io.netns.PublishedPort;
import io.netns.testing.TestLab;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * IPv6 through the firewall, measured in a lab ({@link Lab#withIpv6()}) with real TCP connections: what a
 * published port reaches from where, NAT66 on and off, and why {@code [::1]} is not published. The
 * client namespace plays both another host and the upstream router. Every FORWARD policy is DROP, so
 * what passes passes through the library's accepts.
 */
@Timeout(120)
class Ipv6FirewallIT {
    @RegisterExtension
    final TestLab testLab = new TestLab("ip6fw");
    private Lab lab;
    private Firewall fw;
    private Owner net;
    private Owner web;

    @BeforeEach
    void setUp() throws Exception {
        lab = new Lab(testLab);
        lab.start().withIpv6();
        Lab.exec(lab.host, "ip6tables", "-P", "FORWARD", "DROP");
        fw = Firewall.load();
        net = Owner.network(lab.host.name(), Lab.BRIDGE);
        web = Owner.sandbox(lab.host.name(), "web");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (lab != null) {
            lab.close();
            String real = Lab.realFirewall();
            assertFalse(real.contains(lab.prefix), real);
        }
    }

    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    /** The address a server in {@code to} saw for a connection from {@code from}. */
    private static InetAddress seen(NetNamespace from, String to, int port) throws Exception {
        return ip(Lab.connect(from, to, port));
    }

    @Test
    void nat66IsOnByDefault() throws Exception {
        fw.addNetwork(lab.host, net, Lab.BRIDGE, Lab.SUBNET6);
        lab.echoRemote(lab.client, "::", 9000);
        assertEquals(ip(Lab.HOST_IP6), seen(lab.sbx, Lab.CLIENT_IP6, 9000), "upstream sees the host's address");
        assertTrue(lab.save6().contains("-A NETNS-POSTROUTING -s fd00:89::/64 ! -o nsbr0 -m comment --comment \""
                + net.tag() + "\" -j MASQUERADE"), lab.save6());
    }

    @Test
    void nat66OffLetsTheUpstreamSeeTheSandboxAndCanBeTurnedOnAgain() throws Exception {
        // the upstream routes the network back to the host, as a routed (non-NAT) IPv6 network needs
        Lab.ip(lab.client, "-6", "route", "add", Lab.SUBNET6, "via", Lab.HOST_IP6);
        lab.echoRemote(lab.client, "::", 9000);
        fw.addNetwork(lab.host, net, Lab.BRIDGE, Lab.SUBNET6, false);
        assertEquals(ip(Lab.SBX_IP6), seen(lab.sbx, Lab.CLIENT_IP6, 9000), "routed: the sandbox's own address");
        String save6 = lab.save6();
        assertFalse(save6.contains("-s fd00:89::/64 ! -o nsbr0"), save6);
        // forwarding accepts and the hairpin masquerade are there all the same
        assertTrue(save6.contains("-A NETNS-FORWARD -s fd00:89::/64 -i nsbr0"), save6);
        assertTrue(save6.contains("-A NETNS-POSTROUTING -s fd00:89::/64 -o nsbr0 -m conntrack --ctstate DNAT"), save6);
        fw.publish(lab.host, web, Lab.BRIDGE, ip(Lab.SBX_IP6), List.of(new PublishedPort(Protocol.TCP, null, 8080, 80)));
        lab.echoRemote(lab.sbx, "::", 80);
        assertEquals(ip(Lab.GATEWAY6), seen(lab.sbx2, Lab.HOST_IP6, 8080), "hairpin still masqueraded");
        assertEquals(ip(Lab.CLIENT_IP6), seen(lab.client, Lab.HOST_IP6, 8080));
        // IPv4 of the same bridge is not affected
        fw.addNetwork(lab.host, net, Lab.BRIDGE, Lab.SUBNET);
        assertTrue(lab.save().contains("-A NETNS-POSTROUTING -s 10.89.0.0/24 ! -o nsbr0"), lab.save());

        // asked again with NAT66: the network's rules are replaced, the upstream sees the host again
        fw.addNetwork(lab.host, net, Lab.BRIDGE, Lab.SUBNET6, true);
        assertEquals(1, count(lab.save6(), "-s fd00:89::/64 ! -o nsbr0"));
        assertEquals(ip(Lab.HOST_IP6), seen(lab.sbx, Lab.CLIENT_IP6, 9000));
        fw.remove(lab.host, web);
        fw.remove(lab.host, net);
        assertFalse(lab.save6().contains("netns:" + lab.host.name()), lab.save6());
        assertFalse(lab.save().contains("netns:" + lab.host.name()), lab.save());
    }

    @Test
    void reconcileKeepsARoutedNetworkRouted() throws Exception {
        fw.addNetwork(lab.host, net, Lab.BRIDGE, Lab.SUBNET6, false);
        Lab.exec(lab.host, "ip6tables", "-t", "nat", "-F", "NETNS-POSTROUTING");
        List<Firewall.Need> needs = List.of(new Firewall.Need.Network(net, Lab.BRIDGE, Lab.SUBNET6, false));
        List<String> changes = fw.reconcile(lab.host, needs);
        assertTrue(changes.stream().anyMatch(c -> c.contains("-A NETNS-POSTROUTING") && c.contains("--ctstate DNAT")),
                changes.toString()); // the hairpin masquerade is made again
        assertTrue(lab.save6().contains("-A NETNS-POSTROUTING -s fd00:89::/64 -o nsbr0 -m conntrack --ctstate DNAT"));
        assertFalse(lab.save6().contains("! -o nsbr0 -m comment --comment \"" + net.tag() + "\" -j MASQUERADE"));
        assertEquals(List.of(), fw.reconcile(lab.host, needs));
    }

    /**
     * The IPv6 column of README's "what works from where": a port published without a host address, and
     * the address each server saw.
     */
    @Test
    void whatAPublishedPortReachesFromWhere() throws Exception {
        fw.addNetwork(lab.host, net, Lab.BRIDGE, Lab.SUBNET6);
        fw.publish(lab.host, web, Lab.BRIDGE, ip(Lab.SBX_IP6), List.of(new PublishedPort(Protocol.TCP, null, 8080, 80)));
        lab.echoRemote(lab.sbx, "::", 80);
        // another host, through the host's address: the client's own address arrives
        assertEquals(ip(Lab.CLIENT_IP6), seen(lab.client, Lab.HOST_IP6, 8080));
        // the host itself, to its own address: the host's address arrives
        assertEquals(ip(Lab.HOST_IP6), seen(lab.host, Lab.HOST_IP6, 8080));
        // ... and to the gateway address on the bridge
        assertEquals(ip(Lab.GATEWAY6), seen(lab.host, Lab.GATEWAY6, 8080));
        // hairpin from another sandbox of the bridge: masqueraded to the gateway address
        assertEquals(ip(Lab.GATEWAY6), seen(lab.sbx2, Lab.HOST_IP6, 8080));
        // hairpin to itself: where br_netfilter makes the bridge call ip6tables, the DNATed SYN is bridged back
        // out of the port it came in, which a bridge port does only in hairpin mode
        if (bridgeCalls(lab.host, "ip6tables")) {
            assertEquals(Lab.Outcome.TIMED_OUT, Lab.attempt(lab.sbx, Lab.HOST_IP6, 8080, 1000));
        }
        Lab.ip(lab.host, "link", "set", "vsbx", "type", "bridge_slave", "hairpin", "on");
        assertEquals(ip(Lab.GATEWAY6), seen(lab.sbx, Lab.HOST_IP6, 8080));
        // [::1] is not published: nothing listens there on the host, the connection is refused
        assertEquals(Lab.Outcome.REFUSED, Lab.attempt(lab.host, "::1", 8080, 1000));
        // the other family is not published by an IPv6 publication
        assertEquals(Lab.Outcome.REFUSED, Lab.attempt(lab.client, Lab.HOST_IP, 8080, 1000));
    }

    /**
     * Why {@code [::1]} is not published: a DNAT of {@code ::1} to a sandbox, made by hand in a table of
     * the test, sends the SYN with the source {@code ::1} out of the bridge, and the sandbox's kernel drops
     * it as a header error (a loopback source on a non-loopback interface; IPv6 has no
     * {@code route_localnet}). Docker answers {@code [::1]} with its userland proxy; netns runs none.
     */
    @Test
    void theKernelDropsADnatOfLoopbackToASandbox() throws Exception {
        fw.addNetwork(lab.host, net, Lab.BRIDGE, Lab.SUBNET6);
        lab.echoRemote(lab.sbx, "::", 80);
        Lab.exec(lab.host, "nft", "add table ip6 probe { chain out { type nat hook output priority -100; "
                + "ip6 daddr ::1 tcp dport 8081 counter dnat to [" + Lab.SBX_IP6 + "]:80; }; }");
        long before = hdrErrors(lab.sbx);
        assertEquals(Lab.Outcome.TIMED_OUT, Lab.attempt(lab.host, "::1", 8081, 1500));
        assertTrue(Lab.exec(lab.host, "nft", "list", "table", "ip6", "probe").contains("counter packets 1 "),
                "the DNAT was made");
        assertTrue(hdrErrors(lab.sbx) > before, "the sandbox dropped the SYN from ::1 as a header error");
        // the same port through the host's address works
        Lab.exec(lab.host, "nft", "add rule ip6 probe out ip6 daddr " + Lab.HOST_IP6 + " tcp dport 8081 dnat to ["
                + Lab.SBX_IP6 + "]:80");
        assertEquals(ip(Lab.HOST_IP6), seen(lab.host, Lab.HOST_IP6, 8081));
    }

    /** Whether br_netfilter is loaded and makes the host's bridges pass frames through {@code tool} (ip6tables, iptables). */
    static boolean bridgeCalls(NetNamespace host, String tool) {
        try {
            return "1".equals(io.netns.Sysctl.read(host, "net.bridge.bridge-nf-call-" + tool));
        } catch (io.netns.NetnsException absent) {
            return false; // no br_netfilter: bridged frames never meet ip6tables
        }
    }

    /** {@code Ip6InHdrErrors} of a namespace, read from inside it. */
    private static long hdrErrors(NetNamespace ns) throws Exception {
        String snmp6 = ns.call(() -> Files.readString(Path.of("/proc/thread-self/net/snmp6")));
        return snmp6.lines().filter(l -> l.startsWith("Ip6InHdrErrors")).mapToLong(l -> Long.parseLong(l.split("\\s+")[1]))
                .findFirst().orElseThrow();
    }

    @Test
    void aPortPublishedOnOneIpv6AddressIsReachableThereOnly() throws Exception {
        fw.addNetwork(lab.host, net, Lab.BRIDGE, Lab.SUBNET6);
        fw.publish(lab.host, web, Lab.BRIDGE, ip(Lab.SBX_IP6), List.of(
                new PublishedPort(Protocol.TCP, ip(Lab.HOST_IP6), 8080, 80)));
        lab.echoRemote(lab.sbx, "::", 80);
        assertEquals(ip(Lab.CLIENT_IP6), seen(lab.client, Lab.HOST_IP6, 8080));
        assertEquals(ip(Lab.HOST_IP6), seen(lab.host, Lab.HOST_IP6, 8080));
        assertEquals(ip(Lab.GATEWAY6), seen(lab.sbx2, Lab.HOST_IP6, 8080));
        // another address of the same host is not published
        assertEquals(Lab.Outcome.REFUSED, Lab.attempt(lab.sbx2, Lab.GATEWAY6, 8080, 1000));
        assertEquals(Lab.Outcome.REFUSED, Lab.attempt(lab.host, Lab.GATEWAY6, 8080, 1000));
    }

    private List<InetAddress> both() throws Exception {
        return List.of(ip(Lab.SBX_IP), ip(Lab.SBX_IP6));
    }

    private void dualStackNetwork() throws Exception {
        Lab.exec(lab.host, "iptables", "-P", "FORWARD", "DROP");
        fw.addNetwork(lab.host, net, Lab.BRIDGE, Lab.SUBNET);
        fw.addNetwork(lab.host, net, Lab.BRIDGE, Lab.SUBNET6);
    }

    /**
     * Both columns of README's "what works from where": a port without a host address on a dual-stack
     * sandbox, from another host, the host itself, its loopback addresses and another sandbox.
     */
    @Test
    void aDualStackPublicationCarriesBothFamilies() throws Exception {
        dualStackNetwork();
        List<PublishedPort> ports = List.of(new PublishedPort(Protocol.TCP, null, 8080, 80));
        assertEquals(ports, fw.publish(lab.host, web, Lab.BRIDGE, both(), ports));
        lab.echoRemote(lab.sbx, "::", 80); // a dual-stack socket: IPv4 clients appear as IPv4 addresses
        assertEquals(ip(Lab.CLIENT_IP), seen(lab.client, Lab.HOST_IP, 8080));
        assertEquals(ip(Lab.CLIENT_IP6), seen(lab.client, Lab.HOST_IP6, 8080));
        assertEquals(ip(Lab.HOST_IP), seen(lab.host, Lab.HOST_IP, 8080));
        assertEquals(ip(Lab.HOST_IP6), seen(lab.host, Lab.HOST_IP6, 8080));
        assertEquals(ip(Lab.GATEWAY), seen(lab.host, "127.0.0.1", 8080)); // route_localnet, masqueraded
        assertEquals(Lab.Outcome.REFUSED, Lab.attempt(lab.host, "::1", 8080, 1000));
        assertEquals(ip(Lab.GATEWAY), seen(lab.sbx2, Lab.HOST_IP, 8080));
        assertEquals(ip(Lab.GATEWAY6), seen(lab.sbx2, Lab.HOST_IP6, 8080));
        // hairpin to itself, both families: where br_netfilter makes the bridge call iptables, only once the
        // sandbox's bridge port is in hairpin mode (README's table)
        if (bridgeCalls(lab.host, "iptables")) {
            assertEquals(Lab.Outcome.TIMED_OUT, Lab.attempt(lab.sbx, Lab.HOST_IP, 8080, 1000));
        }
        if (bridgeCalls(lab.host, "ip6tables")) {
            assertEquals(Lab.Outcome.TIMED_OUT, Lab.attempt(lab.sbx, Lab.HOST_IP6, 8080, 1000));
            // bridged frames skipping ip6tables and iptables: the SYN is routed, and it works without hairpin mode
            Lab.exec(lab.host, "sysctl", "-q", "-w", "net.bridge.bridge-nf-call-iptables=0",
                    "net.bridge.bridge-nf-call-ip6tables=0");
            assertEquals(ip(Lab.GATEWAY), seen(lab.sbx, Lab.HOST_IP, 8080));
            assertEquals(ip(Lab.GATEWAY6), seen(lab.sbx, Lab.HOST_IP6, 8080));
            Lab.exec(lab.host, "sysctl", "-q", "-w", "net.bridge.bridge-nf-call-iptables=1",
                    "net.bridge.bridge-nf-call-ip6tables=1");
        }
        Lab.ip(lab.host, "link", "set", "vsbx", "type", "bridge_slave", "hairpin", "on");
        assertEquals(ip(Lab.GATEWAY), seen(lab.sbx, Lab.HOST_IP, 8080));
        assertEquals(ip(Lab.GATEWAY6), seen(lab.sbx, Lab.HOST_IP6, 8080));
        String netns = lab.host.path().toString();
        assertEquals(List.of("ports: tcp . 8080 comment \"" + web.tag() + "\" : 10.89.0.2 . 80"), Nft.tagged(netns, "ip", web.tag()));
        assertEquals(List.of("ports: tcp . 8080 comment \"" + web.tag() + "\" : fd00:89::2 . 80"),
                Nft.tagged(netns, "ip6", web.tag()));
        assertEquals(java.util.Set.of(net, web), fw.owners(lab.host));
        // idempotent: the same publication again adds nothing
        fw.publish(lab.host, web, Lab.BRIDGE, both(), ports);
        assertEquals(1, Nft.tagged(netns, "ip6", web.tag()).size());

        // after a flush of the whole ruleset, reconcile makes both families again
        Lab.exec(lab.host, "nft", "flush", "ruleset");
        List<String> changes = fw.reconcile(lab.host, List.of(new Firewall.Need.Network(net, Lab.BRIDGE, Lab.SUBNET),
                new Firewall.Need.Network(net, Lab.BRIDGE, Lab.SUBNET6),
                new Firewall.Need.Publication(web, Lab.BRIDGE, both(), ports)));
        assertTrue(changes.stream().anyMatch(c -> c.startsWith("nft: table ip6 ")), changes.toString());
        assertTrue(changes.stream().anyMatch(c -> c.startsWith("nft: table ip ")), changes.toString());
        assertEquals(ip(Lab.CLIENT_IP), seen(lab.client, Lab.HOST_IP, 8080));
        assertEquals(ip(Lab.CLIENT_IP6), seen(lab.client, Lab.HOST_IP6, 8080));

        fw.remove(lab.host, web);
        assertFalse(Leftovers.nat(lab.host.path().toString(), "ip").contains(web.tag()));
        assertFalse(Leftovers.nat(lab.host.path().toString(), "ip6").contains(web.tag()));
        assertFalse(PortClaims.holders().contains(web.tag()), "the claim went with the owner");
        assertEquals(Lab.Outcome.REFUSED, Lab.attempt(lab.client, Lab.HOST_IP6, 8080, 1000));
        assertEquals(Lab.Outcome.REFUSED, Lab.attempt(lab.client, Lab.HOST_IP, 8080, 1000));
    }

    /** A port with a host address is published in that address's family only; wildcards too. */
    @Test
    void aHostAddressChoosesTheFamily() throws Exception {
        dualStackNetwork();
        fw.publish(lab.host, web, Lab.BRIDGE, both(), List.of(
                new PublishedPort(Protocol.TCP, ip(Lab.HOST_IP6), 8081, 80),
                new PublishedPort(Protocol.TCP, ip(Lab.HOST_IP), 8082, 80),
                new PublishedPort(Protocol.TCP, ip("0.0.0.0"), 8083, 80),
                new PublishedPort(Protocol.TCP, ip("::"), 8083, 80))); // one owner, 0.0.0.0 and [::]: like Docker
        lab.echoRemote(lab.sbx, "::", 80);
        assertEquals(ip(Lab.CLIENT_IP6), seen(lab.client, Lab.HOST_IP6, 8081));
        assertEquals(Lab.Outcome.REFUSED, Lab.attempt(lab.client, Lab.HOST_IP, 8081, 1000));
        assertEquals(ip(Lab.CLIENT_IP), seen(lab.client, Lab.HOST_IP, 8082));
        assertEquals(Lab.Outcome.REFUSED, Lab.attempt(lab.client, Lab.HOST_IP6, 8082, 1000));
        assertEquals(ip(Lab.CLIENT_IP), seen(lab.client, Lab.HOST_IP, 8083));
        assertEquals(ip(Lab.CLIENT_IP6), seen(lab.client, Lab.HOST_IP6, 8083));

        // an address of a family the sandbox has none of, and ::1, are refused before anything is made
        Owner other = Owner.sandbox(lab.host.name(), "other");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> fw.publish(lab.host, other, Lab.BRIDGE, List.of(ip(Lab.SBX2_IP)),
                        List.of(new PublishedPort(Protocol.TCP, ip(Lab.HOST_IP6), 9000, 80))));
        assertTrue(e.getMessage().contains("the sandbox has no IPv6 address"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> fw.publish(lab.host, other, Lab.BRIDGE, List.of(ip(Lab.SBX2_IP), ip(Lab.SBX2_IP6)),
                        List.of(new PublishedPort(Protocol.TCP, ip("::1"), 9000, 80))));
        assertThrows(IllegalArgumentException.class,
                () -> fw.publish(lab.host, other, Lab.BRIDGE, List.of(ip(Lab.SBX2_IP6), ip("fd00:89::9")),
                        List.of(new PublishedPort(Protocol.TCP, null, 9000, 80))));
        assertFalse(lab.save().contains(other.tag()) || lab.save6().contains(other.tag()));
        // another owner: a port without host address overlaps every address of both families
        io.netns.NetnsException taken = assertThrows(io.netns.NetnsException.class,
                () -> fw.publish(lab.host, other, Lab.BRIDGE, List.of(ip(Lab.SBX2_IP), ip(Lab.SBX2_IP6)),
                        List.of(new PublishedPort(Protocol.TCP, null, 8081, 80))));
        assertTrue(taken.getMessage().contains("published by " + web.tag()), taken.getMessage());
    }

    /** A host socket bound in one family blocks the publication in that family, and nothing is left. */
    @Test
    void aSocketBoundInOneFamilyBlocksThePublication() throws Exception {
        dualStackNetwork();
        java.net.ServerSocket v6only = lab.host.call(() -> {
            java.nio.channels.ServerSocketChannel ch = java.nio.channels.ServerSocketChannel.open(
                    java.net.StandardProtocolFamily.INET6);
            ch.setOption(java.net.StandardSocketOptions.SO_REUSEADDR, true);
            ch.bind(new java.net.InetSocketAddress(ip(Lab.HOST_IP6), 8080));
            return ch.socket();
        });
        lab.closeables.add(v6only);
        io.netns.NetnsException e = assertThrows(io.netns.NetnsException.class,
                () -> fw.publish(lab.host, web, Lab.BRIDGE, both(), List.of(new PublishedPort(Protocol.TCP, null, 8080, 80))));
        assertTrue(e.getMessage().contains("already bound"), e.getMessage());
        assertFalse(Leftovers.nat(lab.host.path().toString(), "ip").contains(web.tag()));
        assertFalse(PortClaims.holders().contains(web.tag()));
        // the IPv4 family alone is free
        fw.publish(lab.host, web, Lab.BRIDGE, both(), List.of(new PublishedPort(Protocol.TCP, ip("0.0.0.0"), 8080, 80)));
        lab.echoRemote(lab.sbx, "::", 80);
        assertEquals(ip(Lab.CLIENT_IP), seen(lab.client, Lab.HOST_IP, 8080));
    }

    /**
     * One change as callers see it: when the IPv6 half fails (here a chain of another tool in the way of
     * the library's table), the IPv4 half, already made, is taken back, with the claim and
     * {@code route_localnet}.
     */
    @Test
    void whenTheIpv6HalfFailsTheIpv4HalfIsTakenBack() throws Exception {
        dualStackNetwork();
        String localnetBefore = io.netns.Sysctl.read(lab.host, "net.ipv4.conf.all.route_localnet");
        Lab.exec(lab.host, "nft", "add table ip6 netns { chain prerouting { }; }");
        List<PublishedPort> ports = List.of(new PublishedPort(Protocol.TCP, null, 8080, 80));
        assertThrows(io.netns.NetnsException.class, () -> fw.publish(lab.host, web, Lab.BRIDGE, both(), ports));
        assertFalse(Leftovers.nat(lab.host.path().toString(), "ip").contains(web.tag()),
                Leftovers.nat(lab.host.path().toString(), "ip"));
        assertFalse(PortClaims.holders().contains(web.tag()));
        assertEquals(localnetBefore, io.netns.Sysctl.read(lab.host, "net.ipv4.conf.all.route_localnet"));
        assertEquals(Lab.Outcome.REFUSED, Lab.attempt(lab.client, Lab.HOST_IP, 8080, 1000));
        // the obstacle gone, the same publication works
        Lab.exec(lab.host, "nft", "delete table ip6 netns");
        fw.publish(lab.host, web, Lab.BRIDGE, both(), ports);
        lab.echoRemote(lab.sbx, "::", 80);
        assertEquals(ip(Lab.CLIENT_IP), seen(lab.client, Lab.HOST_IP, 8080));
        assertEquals(ip(Lab.CLIENT_IP6), seen(lab.client, Lab.HOST_IP6, 8080));
    }

    /** Networks connected in both families: the IPv6 isolation opens too. */
    @Test
    void aConnectionOfDualStackNetworksOpensBothFamilies() throws Exception {
        dualStackNetwork();
        fw.connect(lab.host, net, Lab.BRIDGE, "nsbr9");
        assertTrue(lab.save().contains("-A NETNS-ISOLATION -i nsbr0 -o nsbr9"), lab.save());
        assertTrue(lab.save6().contains("-A NETNS-ISOLATION -i nsbr0 -o nsbr9"), lab.save6());
        assertTrue(lab.save6().contains("-A NETNS-ISOLATION -i nsbr9 -o nsbr0"), lab.save6());
        // an IPv4-only network's connection stays out of ip6tables
        Owner net4 = Owner.network(lab.host.name(), "nsbr7");
        fw.addNetwork(lab.host, net4, "nsbr7", "10.89.7.0/24");
        fw.connect(lab.host, net4, "nsbr7", "nsbr9");
        assertFalse(lab.save6().contains(net4.tag()), lab.save6());
        fw.remove(lab.host, net);
        fw.remove(lab.host, net4);
        assertFalse(lab.save6().contains("nsbr9"), lab.save6());
    }

    private static long count(String save, String part) {
        return save.lines().filter(l -> l.contains(part)).count();
    }
}
