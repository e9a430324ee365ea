package io.netns.internal.nl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The receive state machine over datagrams captured from the kernel. */
class NlRepliesTest {
    private final NlReplies replies = new NlReplies();
    private final List<Integer> types = new ArrayList<>();

    private boolean feed(ByteBuffer d) {
        return replies.accept(d, d.limit(), (buf, msg, type) -> types.add(type));
    }

    private void expect(ByteBuffer first) {
        replies.reset(NlMsgHdr.seq(first, 0), NlMsgHdr.pid(first, 0));
    }

    @Test
    void dumpEndsAtDone() {
        ByteBuffer dump = Fixtures.load("getaddr-dump.hex");
        ByteBuffer done = Fixtures.load("getaddr-done.hex");
        expect(dump);
        assertFalse(feed(dump), "a multipart datagram does not end the dump");
        assertEquals(List.of(Nl.RTM_NEWADDR, Nl.RTM_NEWADDR, Nl.RTM_NEWADDR), types);
        assertTrue((NlMsgHdr.flags(dump, 0) & Nl.NLM_F_MULTI) != 0);
        assertTrue(feed(done));
        assertEquals(0, replies.errno());
        assertFalse(replies.dumpInterrupted());
    }

    @Test
    void dumpIntrOnAnyMessageIsReported() {
        ByteBuffer dump = Fixtures.load("getaddr-dump.hex");
        int second = Nl.nlmsgAlign(NlMsgHdr.length(dump, 0));
        dump.putShort(second + 6, (short) (NlMsgHdr.flags(dump, second) | Nl.NLM_F_DUMP_INTR));
        expect(dump);
        feed(dump);
        assertTrue(feed(Fixtures.load("getaddr-done.hex")));
        assertTrue(replies.dumpInterrupted());
        assertEquals(3, types.size(), "the data still arrives; the caller decides to retry");
    }

    @Test
    void dumpIntrOnTheDoneMessageIsReportedToo() {
        ByteBuffer dump = Fixtures.load("getaddr-dump.hex");
        ByteBuffer done = Fixtures.load("getaddr-done.hex");
        done.putShort(6, (short) (NlMsgHdr.flags(done, 0) | Nl.NLM_F_DUMP_INTR));
        expect(dump);
        feed(dump);
        feed(done);
        assertTrue(replies.dumpInterrupted());
    }

    @Test
    void cappedErrorCarriesErrnoAndExtendedAck() {
        ByteBuffer e = Fixtures.load("error-extack-capped.hex");
        assertEquals(Nl.NLMSG_ERROR, NlMsgHdr.type(e, 0));
        assertTrue((NlMsgHdr.flags(e, 0) & Nl.NLM_F_CAPPED) != 0);
        expect(e);
        assertTrue(feed(e));
        assertEquals(95, replies.errno()); // EOPNOTSUPP
        assertEquals("Unknown device type", replies.extendedAck());
        assertTrue(types.isEmpty());
        NlMsgErr err = NlMsgErr.read(e, 0);
        assertEquals(Nl.RTM_NEWLINK, err.requestType());
    }

    @Test
    void uncappedErrorSkipsTheEchoedRequest() {
        ByteBuffer e = Fixtures.load("error-extack-uncapped.hex");
        assertEquals(0, NlMsgHdr.flags(e, 0) & Nl.NLM_F_CAPPED);
        NlMsgErr err = NlMsgErr.read(e, 0);
        assertEquals(95, err.errno());
        assertEquals("Unknown device type", err.message());
        assertEquals(Nl.RTM_NEWLINK, err.requestType());
    }

    @Test
    void ackCompletesWithoutError() {
        ByteBuffer ack = Fixtures.load("ack.hex");
        expect(ack);
        assertTrue(feed(ack));
        assertEquals(0, replies.errno());
        assertNull(replies.extendedAck());
    }

    @Test
    void otherSequenceNumbersAndPortsAreSkipped() {
        ByteBuffer ack = Fixtures.load("ack.hex");
        replies.reset(NlMsgHdr.seq(ack, 0) + 1, NlMsgHdr.pid(ack, 0));
        assertFalse(feed(ack), "a late ACK of an earlier request is not ours");
        assertEquals(1, replies.skipped());
        replies.reset(NlMsgHdr.seq(ack, 0), NlMsgHdr.pid(ack, 0) + 1);
        assertFalse(feed(ack));
    }

    @Test
    void singleReplyWaitsForItsAck() {
        ByteBuffer link = Fixtures.load("newlink-lo.hex");
        expect(link);
        assertFalse(feed(link), "an RTM_NEWLINK answer is followed by the ACK we asked for");
        assertEquals(List.of(Nl.RTM_NEWLINK), types);
    }

    @Test
    void everyTruncationFailsCleanly() {
        for (String f : new String[] {"newlink-lo.hex", "getaddr-dump.hex", "getroute-dump.hex",
                "error-extack-capped.hex", "error-extack-uncapped.hex"}) {
            ByteBuffer d = Fixtures.load(f);
            for (int cut = 1; cut < d.limit(); cut++) {
                expect(d);
                int n = cut;
                try {
                    replies.accept(d, n, (buf, msg, type) -> {
                        IfInfoMsg.attributes(buf, msg); // any body/attribute walk stays within the message
                    });
                } catch (NlFormatException expected) {
                    continue;
                }
                // only a cut at a message boundary may pass
                assertTrue(isBoundary(d, n), f + " cut at " + n + " was accepted");
            }
        }
    }

    private static boolean isBoundary(ByteBuffer d, int n) {
        int at = 0;
        while (at < n) {
            at += Nl.nlmsgAlign(NlMsgHdr.length(d, at));
        }
        return at >= n && (at == n || at - n < 4);
    }

    @Test
    void zeroLengthMessageIsAnErrorNotALoop() {
        ByteBuffer d = Fixtures.load("getaddr-dump.hex");
        d.putInt(0, 0);
        expect(Fixtures.load("getaddr-dump.hex"));
        assertThrows(NlFormatException.class, () -> feed(d));
    }
}
