package io.netns.rtnl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.NetNamespace;
import io.netns.NetlinkException;
import io.netns.testing.Ip;
import io.netns.testing.TestLab;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * RtnlClient against the kernel, in two fresh namespaces per test, checked with {@code ip -n ... -o}
 * rather than with the client's own reads.
 */
class RtnlClientIT {
    @RegisterExtension
    final TestLab lab = new TestLab("rtnl");

    private final List<AutoCloseable> closeLast = new ArrayList<>();
    private NetNamespace a;
    private NetNamespace b;
    private RtnlClient rtnl;

    @BeforeEach
    void setUp() throws Exception {
        a = NetNamespace.create(lab.name("a"));
        b = NetNamespace.create(lab.name("b"));
        rtnl = RtnlClient.open(a);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (rtnl != null) {
            rtnl.close();
        }
        for (AutoCloseable c : closeLast) {
            c.close();
        }
        for (NetNamespace ns : new NetNamespace[] {a, b}) {
            if (ns != null) {
                ns.delete();
                ns.close();
            }
        }
    }

    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void vethPeerIsCreatedDirectlyInTheOtherNamespace() throws Exception {
        rtnl.addVeth("vh0", "eth0", b);

        assertTrue(Ip.in(a.name(), "-o", "link", "show", "vh0").contains("vh0@"));
        assertFalse(Ip.in(a.name(), "-o", "link").contains("eth0"), "the peer never appears in a");
        String peer = Ip.in(b.name(), "-d", "-o", "link", "show", "eth0");
        assertTrue(peer.contains("eth0@") && peer.contains("veth"), peer);

        Link l = rtnl.link("vh0").orElseThrow();
        assertEquals("veth", l.kind());
        assertFalse(l.isUp());
        assertEquals(17, l.mac().length(), l.mac());
    }

    @Test
    void vethInTheSameNamespace() throws Exception {
        rtnl.addVeth("va", "vb", null);
        String links = Ip.in(a.name(), "-o", "link");
        assertTrue(links.contains("va@vb") && links.contains("vb@va"), links);
    }

    @Test
    void bridgeMasterAndUp() throws Exception {
        rtnl.addBridge("br0");
        rtnl.addVeth("vh0", "eth0", b);
        rtnl.setMaster("vh0", "br0");
        rtnl.setUp("br0");
        rtnl.setUp("vh0");

        String vh = Ip.in(a.name(), "-o", "link", "show", "vh0");
        assertTrue(vh.contains("master br0"), vh);
        assertTrue(vh.contains(",UP"), vh);
        assertTrue(Ip.in(a.name(), "-o", "link", "show", "br0").contains(",UP"));
        assertTrue(Ip.in(a.name(), "-d", "-o", "link", "show", "br0").contains("bridge"));

        Link br = rtnl.link("br0").orElseThrow();
        assertEquals("bridge", br.kind());
        assertEquals(br.index(), rtnl.link("vh0").orElseThrow().masterIndex());

        rtnl.setMaster("vh0", null);
        assertFalse(Ip.in(a.name(), "-o", "link", "show", "vh0").contains("master"));
        rtnl.setDown("vh0");
        assertFalse(rtnl.link("vh0").orElseThrow().isUp());
        assertFalse(Ip.in(a.name(), "-o", "link", "show", "vh0").contains(",UP"));
    }

    /** Hairpin mode of a bridge port, read back by {@code ip -d link show}; a link in no bridge refuses it. */
    @Test
    void hairpinModeOfABridgePort() throws Exception {
        rtnl.addBridge("br0");
        rtnl.addVeth("vh0", "eth0", b);
        rtnl.setMaster("vh0", "br0");
        assertTrue(bridgeLink("vh0").contains("hairpin off"), bridgeLink("vh0"));
        rtnl.setHairpin("vh0", true);
        assertTrue(bridgeLink("vh0").contains("hairpin on"), bridgeLink("vh0"));
        rtnl.setHairpin("vh0", false);
        assertTrue(bridgeLink("vh0").contains("hairpin off"), bridgeLink("vh0"));

        rtnl.addVeth("vh1", "vh1p", null);
        NetlinkException e = assertThrows(NetlinkException.class, () -> rtnl.setHairpin("vh1", true));
        assertTrue(e.getMessage().contains("RTM_NEWLINK(vh1 type bridge_slave hairpin on) failed"), e.getMessage());
        assertThrows(NetlinkException.class, () -> rtnl.setHairpin("nosuch0", true));
    }

    private String bridgeLink(String port) throws Exception {
        return Ip.in(a.name(), "-d", "link", "show", "dev", port);
    }

    /** A link with carrier: a veth pair inside a, both ends up (this kernel may have no dummy driver). */
    private void linkWithCarrier(String name) throws Exception {
        rtnl.addVeth(name, name + "p", null);
        rtnl.setUp(name + "p");
        rtnl.setUp(name);
    }

    @Test
    void ipv4AndIpv6Addresses() throws Exception {
        linkWithCarrier("d0");
        rtnl.addAddress("d0", ip("10.77.1.2"), 24);
        rtnl.addAddress("d0", ip("2001:db8:77::2"), 64);

        String out = Ip.in(a.name(), "-o", "addr", "show", "dev", "d0");
        assertTrue(out.contains("inet 10.77.1.2/24"), out);
        assertTrue(out.contains("inet6 2001:db8:77::2/64"), out);

        List<Addr> mine = rtnl.addresses("d0");
        assertTrue(mine.stream().anyMatch(x -> x.cidr().equals("10.77.1.2/24") && x.isIpv4()), mine.toString());
        assertTrue(mine.stream().anyMatch(x -> x.cidr().equals("2001:db8:77:0:0:0:0:2/64")
                && x.family() == Addr.AF_INET6), mine.toString());

        rtnl.deleteAddress("d0", ip("10.77.1.2"), 24);
        assertFalse(Ip.in(a.name(), "-o", "addr", "show", "dev", "d0").contains("10.77.1.2"));

        NetlinkException e = assertThrows(NetlinkException.class,
                () -> rtnl.addAddress("d0", ip("2001:db8:77::2"), 64));
        assertEquals("EEXIST", e.errnoName());
    }

    @Test
    void loopbackUpHasItsAddresses() throws Exception {
        rtnl.setUp("lo");
        List<Addr> lo = rtnl.addresses("lo");
        assertTrue(lo.stream().anyMatch(x -> x.cidr().equals("127.0.0.1/8") && x.scope() == Addr.SCOPE_HOST),
                lo.toString());
        assertTrue(Ip.in(a.name(), "-o", "addr", "show", "dev", "lo").contains("127.0.0.1/8"));
    }

    @Test
    void defaultRouteAndSubnetRoutesV4AndV6() throws Exception {
        linkWithCarrier("d0");
        rtnl.addAddress("d0", ip("10.77.1.2"), 24);
        rtnl.addAddress("d0", ip("2001:db8:77::2"), 64);

        rtnl.addDefaultRoute(ip("10.77.1.1"));
        rtnl.addRoute(ip("10.88.0.0"), 16, ip("10.77.1.254"), null);
        rtnl.addRoute(ip("10.99.0.0"), 24, null, "d0");
        rtnl.addRoute(ip("2001:db8:99::"), 64, null, "d0");
        rtnl.addRoute(ip("2001:db8:88::"), 48, ip("2001:db8:77::1"), "d0");

        String v4 = Ip.in(a.name(), "-o", "route");
        assertTrue(v4.contains("default via 10.77.1.1 dev d0"), v4);
        assertTrue(v4.contains("10.88.0.0/16 via 10.77.1.254 dev d0"), v4);
        assertTrue(v4.contains("10.99.0.0/24 dev d0 scope link"), v4);
        String v6 = Ip.in(a.name(), "-6", "-o", "route");
        assertTrue(v6.contains("2001:db8:99::/64 dev d0"), v6);
        assertTrue(v6.contains("2001:db8:88::/48 via 2001:db8:77::1 dev d0"), v6);

        List<Route> routes = rtnl.routes();
        int d0 = rtnl.link("d0").orElseThrow().index();
        assertTrue(routes.stream().anyMatch(r -> r.isDefault() && r.family() == Addr.AF_INET
                && r.gateway().getHostAddress().equals("10.77.1.1") && r.outputIndex() == d0), routes.toString());
        assertTrue(routes.stream().anyMatch(r -> r.destinationCidr().equals("2001:db8:88:0:0:0:0:0/48")),
                routes.toString());

        rtnl.deleteRoute(ip("0.0.0.0"), 0, ip("10.77.1.1"), null);
        rtnl.deleteRoute(ip("2001:db8:88::"), 48, null, null);
        assertFalse(Ip.in(a.name(), "-o", "route").contains("default"));
        assertFalse(Ip.in(a.name(), "-6", "-o", "route").contains("2001:db8:88::"));

        NetlinkException e = assertThrows(NetlinkException.class, () -> rtnl.deleteRoute(ip("10.55.0.0"), 16, null, null));
        assertEquals("ESRCH", e.errnoName());
    }

    @Test
    void renameMtuAndDelete() throws Exception {
        rtnl.addBridge("d1");
        rtnl.rename("d1", "d2");
        rtnl.setMtu("d2", 1400);
        String out = Ip.in(a.name(), "-o", "link", "show", "d2");
        assertTrue(out.contains("mtu 1400"), out);
        assertEquals(1400, rtnl.link("d2").orElseThrow().mtu());
        assertTrue(rtnl.link("d1").isEmpty());

        int index = rtnl.link("d2").orElseThrow().index();
        assertEquals("d2", rtnl.link(index).orElseThrow().name());

        rtnl.delete("d2");
        assertFalse(Ip.in(a.name(), "-o", "link").contains("d2"));
        assertTrue(rtnl.link("d2").isEmpty());
        assertTrue(rtnl.link(index).isEmpty());
        NetlinkException e = assertThrows(NetlinkException.class, () -> rtnl.delete("d2"));
        assertEquals("ENODEV", e.errnoName());
    }

    @Test
    void moveToAnotherNamespace() throws Exception {
        rtnl.addVeth("d3", "d3p", null);
        rtnl.moveTo("d3", b);
        assertFalse(Ip.in(a.name(), "-o", "link").contains("d3@"));
        assertTrue(Ip.in(b.name(), "-o", "link").contains("d3@"));

        rtnl.addBridge("br0"); // bridges are netns-local; the kernel says so
        NetlinkException e = assertThrows(NetlinkException.class, () -> rtnl.moveTo("br0", b));
        assertEquals("EINVAL", e.errnoName());
        assertFalse(e.extendedAck().isEmpty(), e.getMessage());
    }

    @Test
    void duplicateLinkIsEexistWithAClearMessage() throws Exception {
        rtnl.addBridge("dup0");
        NetlinkException e = assertThrows(NetlinkException.class, () -> rtnl.addBridge("dup0"));
        assertEquals("EEXIST", e.errnoName());
        assertEquals(io.netns.internal.posix.Native.EEXIST, e.errno());
        assertTrue(e.getMessage().contains("RTM_NEWLINK(bridge dup0) failed: EEXIST"), e.getMessage());
        NetlinkException v = assertThrows(NetlinkException.class, () -> rtnl.addVeth("x0", "dup0", null));
        assertEquals("EEXIST", v.errnoName());
        assertTrue(Ip.in(a.name(), "-o", "link").contains("dup0"));
        assertFalse(Ip.in(a.name(), "-o", "link").contains("x0"), "a failed request leaves nothing");
    }

    @Test
    void kernelExtendedAckTextIsCarried() throws Exception {
        rtnl.addBridge("d0");
        NetlinkException e = assertThrows(NetlinkException.class, () -> rtnl.setMtu("d0", 1_000_000));
        assertEquals("EINVAL", e.errnoName());
        assertFalse(e.extendedAck().isEmpty(), e.getMessage());
        assertTrue(e.getMessage().contains(e.extendedAck()), e.getMessage());
    }

    @Test
    void linksListsAll() throws Exception {
        rtnl.addVeth("v0", "v1", null);
        rtnl.addBridge("br9");
        List<Link> links = rtnl.links();
        assertEquals(List.of("lo", "v1", "v0", "br9"), links.stream().map(Link::name).toList());
        assertEquals("veth", links.get(1).kind());
        assertEquals("", links.get(0).kind());
    }

    @Test
    void dummyIsCreatedOrRefusedWithTheKernelsReason() throws Exception {
        try {
            rtnl.addDummy("dm0");
        } catch (NetlinkException e) { // kernels built without CONFIG_DUMMY
            assertEquals("EOPNOTSUPP", e.errnoName().replace("ENOTSUP", "EOPNOTSUPP"), e.getMessage());
            assertEquals("Unknown device type", e.extendedAck());
            return;
        }
        assertTrue(Ip.in(a.name(), "-d", "-o", "link", "show", "dm0").contains("dummy"));
    }

    @Test
    void aClosedClientRefusesWork() throws Exception {
        rtnl.close();
        rtnl.close();
        assertThrows(IllegalStateException.class, () -> rtnl.links());
    }
}
