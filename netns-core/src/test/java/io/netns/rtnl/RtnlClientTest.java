package io.netns.rtnl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.NetlinkException;
import io.netns.NetnsException;
import io.netns.internal.nl.Fixtures;
import io.netns.internal.nl.IfInfoMsg;
import io.netns.internal.nl.NetlinkSocket;
import io.netns.internal.nl.Nl;
import io.netns.internal.nl.NlMsgHdr;
import io.netns.internal.nl.RtAttrs;
import io.netns.internal.nl.RtMsg;
import io.netns.internal.posix.Native;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * The client's protocol engine against a scripted kernel that replays captured datagrams: ACK waiting,
 * errors with extended ack, NLM_F_DUMP_INTR retries, stale replies, receive-buffer growth, and the bytes
 * of the requests it builds. No socket, no root.
 */
class RtnlClientTest {
    private static final int PID = 4242;

    /** Replays datagrams: each send consumes one script step, which yields the reply datagrams. */
    private static final class ScriptedKernel implements NetlinkSocket.Transport {
        final Deque<IntFunction<List<ByteBuffer>>> script = new ArrayDeque<>();
        final Deque<ByteBuffer> pending = new ArrayDeque<>();
        final List<ByteBuffer> requests = new ArrayList<>();
        int peeks;

        @Override
        public void send(ByteBuffer message) {
            ByteBuffer copy = ByteBuffer.allocate(message.remaining()).order(ByteOrder.nativeOrder());
            copy.put(message.duplicate()).flip();
            message.position(message.limit());
            requests.add(copy);
            if (script.isEmpty()) {
                throw new AssertionError("unexpected request " + Nl.messageTypeName(NlMsgHdr.type(copy, 0)));
            }
            pending.addAll(script.removeFirst().apply(NlMsgHdr.seq(copy, 0)));
        }

        @Override
        public int receive(ByteBuffer buf, int flags) throws NetnsException {
            ByteBuffer d = pending.peekFirst();
            if (d == null && (flags & Native.MSG_DONTWAIT) != 0) {
                throw NetnsException.of("recvfrom", Native.EAGAIN, null); // under MSG_DONTWAIT
            }
            if (d == null) {
                throw new AssertionError("the client would block: no datagram pending");
            }
            int n = Math.min(d.limit(), buf.remaining());
            int at = buf.position();
            for (int i = 0; i < n; i++) {
                buf.put(at + i, d.get(i));
            }
            if ((flags & Native.MSG_PEEK) != 0) {
                peeks++;
            } else {
                pending.removeFirst();
                buf.position(at + n);
            }
            return d.limit();
        }

        @Override
        public void close() {
        }
    }

    /** A fixture with every message's seq and pid rewritten, and optionally extra flags on message i. */
    private static ByteBuffer reply(String fixture, int seq, int flagsOnFirst) {
        ByteBuffer d = Fixtures.load(fixture);
        int at = 0;
        boolean first = true;
        while (at < d.limit()) {
            d.putInt(at + 8, seq).putInt(at + 12, PID);
            if (first) {
                d.putShort(at + 6, (short) (NlMsgHdr.flags(d, at) | flagsOnFirst));
                first = false;
            }
            at += Nl.nlmsgAlign(NlMsgHdr.length(d, at));
        }
        return d;
    }

    private final ScriptedKernel kernel = new ScriptedKernel();

    private RtnlClient client(int receiveCapacity) {
        return new RtnlClient("RtnlClient(test)", kernel, PID,
                ByteBuffer.allocateDirect(4096).order(ByteOrder.nativeOrder()),
                ByteBuffer.allocateDirect(receiveCapacity).order(ByteOrder.nativeOrder()));
    }

    private void then(String... fixtures) {
        kernel.script.add(seq -> {
            List<ByteBuffer> out = new ArrayList<>();
            for (String f : fixtures) {
                out.add(reply(f, seq, 0));
            }
            return out;
        });
    }

    @Test
    void interruptedDumpIsRetriedAndOnlyTheCleanAnswerCounts() throws Exception {
        kernel.script.add(seq -> List.of(reply("getaddr-dump.hex", seq, Nl.NLM_F_DUMP_INTR),
                reply("getaddr-done.hex", seq, 0)));
        then("getaddr-dump.hex", "getaddr-done.hex");
        List<Addr> addrs = client(65536).addresses();
        assertEquals(3, addrs.size(), "the interrupted attempt's data is dropped: " + addrs);
        assertEquals(2, kernel.requests.size());
        assertNotEquals(NlMsgHdr.seq(kernel.requests.get(0), 0), NlMsgHdr.seq(kernel.requests.get(1), 0),
                "a retry is a new request");
        assertEquals(Nl.NLM_F_REQUEST | Nl.NLM_F_ACK | Nl.NLM_F_DUMP, NlMsgHdr.flags(kernel.requests.get(1), 0));
    }

    @Test
    void aDumpInterruptedEveryTimeIsReportedAsEintr() {
        for (int i = 0; i < RtnlClient.DUMP_ATTEMPTS; i++) {
            kernel.script.add(seq -> List.of(reply("getaddr-dump.hex", seq, 0),
                    reply("getaddr-done.hex", seq, Nl.NLM_F_DUMP_INTR)));
        }
        NetlinkException e = assertThrows(NetlinkException.class, () -> client(65536).addresses());
        assertEquals("EINTR", e.errnoName());
        assertEquals(Nl.RTM_GETADDR, e.messageType());
        assertTrue(e.getMessage().contains("NLM_F_DUMP_INTR"), e.getMessage());
        assertEquals(RtnlClient.DUMP_ATTEMPTS, kernel.requests.size(), "bounded");
    }

    @Test
    void kernelErrorBecomesNetlinkExceptionWithExtendedAck() {
        then("error-extack-capped.hex");
        NetlinkException e = assertThrows(NetlinkException.class, () -> client(65536).addBridge("bad0"));
        assertEquals(95, e.errno());
        assertEquals("Unknown device type", e.extendedAck());
        assertEquals(Nl.RTM_NEWLINK, e.messageType());
        assertEquals("RTM_NEWLINK", e.operation());
        assertTrue(e.getMessage().startsWith("RTM_NEWLINK(bridge bad0) failed: "), e.getMessage());
        assertTrue(e.getMessage().contains("(kernel: Unknown device type)"), e.getMessage());
    }

    @Test
    void aDatagramLargerThanTheBufferGrowsItInsteadOfTruncating() throws Exception {
        then("newlink-lo.hex", "ack.hex");
        RtnlClient c = client(128); // far smaller than the ~1 KiB RTM_NEWLINK
        Link lo = c.link("lo").orElseThrow();
        assertEquals("lo", lo.name());
        assertEquals(65536, lo.mtu());
        assertTrue(kernel.peeks >= 2, "every datagram is sized before it is read");
    }

    @Test
    void lateRepliesOfEarlierRequestsAreSkipped() throws Exception {
        kernel.script.add(seq -> List.of(reply("ack.hex", seq - 1, 0), reply("newlink-lo.hex", seq - 7, 0),
                reply("newlink-lo.hex", seq, 0), reply("ack.hex", seq, 0)));
        assertEquals(1, client(65536).link("lo").orElseThrow().index());
        assertTrue(kernel.pending.isEmpty(), "read up to our ACK, nothing more");
    }

    @Test
    void enodevOnALookupIsEmpty() throws Exception {
        kernel.script.add(seq -> {
            ByteBuffer e = reply("ack.hex", seq, 0);
            e.putInt(16, -19); // ENODEV
            return List.of(e);
        });
        assertTrue(client(65536).link("nope0").isEmpty());
    }

    @Test
    void malformedReplyIsAClearFailure() {
        kernel.script.add(seq -> {
            ByteBuffer d = reply("newlink-lo.hex", seq, 0);
            d.putInt(0, 7); // nlmsg_len below the header size
            return List.of(d);
        });
        NetnsException e = assertThrows(NetnsException.class, () -> client(65536).link("lo"));
        assertTrue(e.getMessage().contains("malformed reply"), e.getMessage());
    }

    @Test
    void aDumpThatFailsToDecodeIsDrainedSoTheNextRequestWorks() throws Exception {
        kernel.script.add(seq -> {
            ByteBuffer bad = reply("getaddr-dump.hex", seq, 0);
            bad.put(16, (byte) Nl.AF_INET).putShort(NlMsgHdr.SIZE + 8 + 2, (short) 0x3ff0); // hide IFA_ADDRESS
            bad.putShort(NlMsgHdr.SIZE + 8 + 8 + 2, (short) 0x3ff1);                     // and IFA_LOCAL
            return List.of(bad, reply("getroute-dump.hex", seq, 0), reply("getaddr-done.hex", seq, 0));
        });
        then("newlink-lo.hex", "ack.hex");
        RtnlClient c = client(65536);
        NetnsException e = assertThrows(NetnsException.class, c::addresses);
        assertTrue(e.getMessage().contains("malformed reply"), e.getMessage());
        assertTrue(kernel.pending.isEmpty(), "the rest of the dump was read");
        assertEquals("lo", c.link("lo").orElseThrow().name());
    }

    @Test
    void vethRequestNestsThePeerWithItsNamespaceFd() throws Exception {
        then("ack.hex");
        client(65536).addVeth("vh0", "eth0", null);
        ByteBuffer r = kernel.requests.get(0);
        assertEquals(Nl.RTM_NEWLINK, NlMsgHdr.type(r, 0));
        assertEquals(Nl.NLM_F_REQUEST | Nl.NLM_F_ACK | Nl.NLM_F_CREATE | Nl.NLM_F_EXCL, NlMsgHdr.flags(r, 0));
        assertEquals(r.limit(), NlMsgHdr.length(r, 0));
        RtAttrs top = IfInfoMsg.attributes(r, 0);
        assertEquals("vh0", top.getString(Nl.IFLA_IFNAME));
        RtAttrs info = top.nested(Nl.IFLA_LINKINFO);
        assertEquals("veth", info.getString(Nl.IFLA_INFO_KIND));
        RtAttrs data = info.nested(Nl.IFLA_INFO_DATA);
        int p = data.payloadOffset(Nl.VETH_INFO_PEER);
        RtAttrs peer = RtAttrs.parse(r, p + IfInfoMsg.SIZE, p + data.payloadLength(Nl.VETH_INFO_PEER));
        assertEquals("eth0", peer.getString(Nl.IFLA_IFNAME));
        assertFalse(peer.has(Nl.IFLA_NET_NS_FD), "same namespace: no fd");
    }

    @Test
    void setUpSetsOnlyTheUpFlag() throws Exception {
        then("ack.hex");
        client(65536).setUp("eth0");
        IfInfoMsg ifi = IfInfoMsg.read(kernel.requests.get(0), 0);
        assertEquals(new IfInfoMsg(0, 0, 0, Nl.IFF_UP, Nl.IFF_UP), ifi);
        assertEquals(Nl.NLM_F_REQUEST | Nl.NLM_F_ACK, NlMsgHdr.flags(kernel.requests.get(0), 0));
    }

    @Test
    void defaultRouteRequestLooksLikeIps() throws Exception {
        then("ack.hex");
        client(65536).addDefaultRoute(InetAddress.getByName("10.89.0.1"));
        ByteBuffer r = kernel.requests.get(0);
        assertEquals(new RtMsg(Nl.AF_INET, 0, 0, 0, Nl.RT_TABLE_MAIN, Nl.RTPROT_BOOT, Nl.RT_SCOPE_UNIVERSE,
                Nl.RTN_UNICAST, 0), RtMsg.read(r, 0));
        RtAttrs a = RtMsg.attributes(r, 0);
        assertFalse(a.has(Nl.RTA_DST));
        assertEquals(4, a.payloadLength(Nl.RTA_GATEWAY));
        assertEquals(Nl.NLM_F_REQUEST | Nl.NLM_F_ACK | Nl.NLM_F_CREATE | Nl.NLM_F_EXCL, NlMsgHdr.flags(r, 0));
    }

    @Test
    void argumentMistakesFailBeforeAnythingIsSent() throws Exception {
        RtnlClient c = client(65536);
        InetAddress v4 = InetAddress.getByName("10.0.0.0");
        InetAddress v6 = InetAddress.getByName("2001:db8::1");
        assertThrows(IllegalArgumentException.class, () -> c.addRoute(v4, 33, null, "eth0"));
        assertThrows(IllegalArgumentException.class, () -> c.addRoute(v4, 8, v6, null));
        assertThrows(IllegalArgumentException.class, () -> c.addRoute(v4, 8, null, null));
        assertThrows(IllegalArgumentException.class, () -> c.addAddress(1, v6, 129));
        assertThrows(IllegalArgumentException.class, () -> c.setMtu("eth0", 0));
        assertThrows(IllegalArgumentException.class, () -> c.addVeth("ok", "much-too-long-name", null));
        assertTrue(kernel.requests.isEmpty());
        c.close();
        assertThrows(IllegalStateException.class, () -> c.setUp("eth0"));
    }
}
