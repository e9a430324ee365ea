package io.netns.rtnl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.internal.nl.Fixtures;
import io.netns.internal.nl.Nl;
import io.netns.internal.nl.NlFormatException;
import io.netns.internal.nl.NlMsgHdr;
import io.netns.internal.nl.NlReplies;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Decoding kernel-captured messages into the public values. */
class DecodeTest {
    private static <T> List<T> decode(String fixture, int type, java.util.function.BiFunction<ByteBuffer, Integer, T> f) {
        ByteBuffer d = Fixtures.load(fixture);
        NlReplies r = new NlReplies();
        r.reset(NlMsgHdr.seq(d, 0), NlMsgHdr.pid(d, 0));
        List<T> out = new ArrayList<>();
        r.accept(d, d.limit(), (buf, msg, t) -> {
            if (t == type) {
                T v = f.apply(buf, msg);
                if (v != null) {
                    out.add(v);
                }
            }
        });
        return out;
    }

    @Test
    void loopbackLink() {
        List<Link> links = decode("newlink-lo.hex", Nl.RTM_NEWLINK, Decode::link);
        assertEquals(1, links.size());
        Link lo = links.get(0);
        assertEquals(1, lo.index());
        assertEquals("lo", lo.name());
        assertEquals("", lo.kind());
        assertEquals(65536, lo.mtu());
        assertEquals(0, lo.masterIndex());
        assertEquals("00:00:00:00:00:00", lo.mac());
        assertTrue(lo.isUp());
        assertTrue((lo.flags() & Nl.IFF_LOOPBACK) != 0);
    }

    @Test
    void addresses() {
        List<Addr> addrs = decode("getaddr-dump.hex", Nl.RTM_NEWADDR, Decode::addr);
        List<String> cidrs = addrs.stream().map(Addr::cidr).toList();
        assertEquals(List.of("127.0.0.1/8", "10.9.8.7/24", "0:0:0:0:0:0:0:1/128"), cidrs);
        Addr v4 = addrs.get(0);
        assertEquals(1, v4.linkIndex());
        assertEquals(Addr.AF_INET, v4.family());
        assertEquals(Addr.SCOPE_HOST, v4.scope());
        assertEquals(Addr.SCOPE_UNIVERSE, addrs.get(1).scope());
        assertEquals(Addr.AF_INET6, addrs.get(2).family());
    }

    @Test
    void routes() {
        List<Route> routes = decode("getroute-dump.hex", Nl.RTM_NEWROUTE, Decode::route);
        Route via = routes.stream().filter(r -> r.destinationCidr().equals("10.66.0.0/16")).findFirst().orElseThrow();
        assertEquals("10.9.8.1", via.gateway().getHostAddress());
        assertEquals(Nl.RT_TABLE_MAIN, via.table());
        assertEquals(Nl.RTPROT_BOOT, via.protocol());
        assertEquals(1, via.outputIndex());
        Route local = routes.stream().filter(r -> r.destinationCidr().equals("10.9.8.7/32"))
                .findFirst().orElseThrow();
        assertNull(local.gateway());
        assertEquals(Nl.RT_TABLE_LOCAL, local.table());
        assertEquals(Nl.RT_SCOPE_HOST, local.scope());
        assertEquals(Nl.RTPROT_KERNEL, local.protocol());
        assertEquals(2, local.type()); // RTN_LOCAL
        assertTrue(routes.stream().anyMatch(r -> r.family() == Addr.AF_INET6
                && r.destinationCidr().equals("0:0:0:0:0:0:0:1/128")));
    }

    @Test
    void linkWithoutNameIsMalformed() {
        ByteBuffer d = Fixtures.load("newlink-lo.hex");
        // turn IFLA_IFNAME into an unknown type
        int at = NlMsgHdr.SIZE + 16;
        while (d.getShort(at + 2) != Nl.IFLA_IFNAME) {
            at += Nl.rtaAlign(d.getShort(at));
        }
        d.putShort(at + 2, (short) 0x3ff0);
        assertThrows(NlFormatException.class, () -> Decode.link(d, 0));
    }

    @Test
    void macFormatting() {
        assertEquals("0a:1b:ff:00", Decode.mac(new byte[] {0x0a, 0x1b, (byte) 0xff, 0}));
        assertEquals("", Decode.mac(new byte[0]));
    }

    @Test
    void linkNamesFollowTheKernelRule() {
        RtnlClient.checkName("eth0");
        RtnlClient.checkName("veth-a1b2c3d4e5");
        for (String bad : new String[] {"", ".", "..", "a/b", "a:b", "a b", "sixteen-chars-xx", "tab\t"}) {
            assertThrows(IllegalArgumentException.class, () -> RtnlClient.checkName(bad), bad);
        }
    }
}
