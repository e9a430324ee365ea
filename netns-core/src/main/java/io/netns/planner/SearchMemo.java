package io.netns.planner;

import io.netns.planner.Occupancy.Check;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Internal use only. What port searches have learnt so far in one planning run. Occupancy only grows, so what a
 * search learns stays true:
 * <ul>
 *   <li>per distinct request shape, the first port-order position not yet known to be full ({@link Cursor});</li>
 *   <li>per check shape and port, which leading candidate addresses are known taken ({@link Known}), so a
 *       saturated port costs O(1) amortized per request rather than O(addresses).</li>
 * </ul>
 * Every shortcut reproduces exactly what the full scan would have reported (warnings, first blocker);
 * {@code GoldenPlanTest} pins that.
 */
final class SearchMemo {

    /** Search state shared by requests of the same shape: first port-order position not known to be full. */
    static final class Cursor {
        int tier;
        int port = -1;
    }

    /**
     * What is already known about the candidate addresses of one family at one port for one check shape
     * (protocols and SO_REUSEPORT uid: everything a check reads from the request). A candidate once found busy
     * (not free) or hard-blocked stays so, and whether its check hit an assumed dual-stack {@code [::]} depends
     * only on the existing sockets; searches skip the leading known candidates instead of checking them again.
     */
    static final class Known {
        static final byte BUSY = 1;
        static final byte HARD = 2;
        static final byte ASSUMED = 4;
        final byte[] state;
        /** state[0..busyPrefix) are all BUSY; state[0..hardPrefix) are all HARD. */
        int busyPrefix;
        int hardPrefix;
        /** The lowest candidate index whose (busy) check had assumedHit, or MAX_VALUE. */
        int firstAssumed = Integer.MAX_VALUE;

        Known(int candidates) {
            state = new byte[candidates];
        }

        /** Records the check of candidate {@code ci}; a free check records nothing (it may be taken later). */
        void record(int ci, Check c) {
            if (c.free()) {
                return;
            }
            byte b = (byte) (BUSY | (c.hard != null ? HARD : 0) | (c.assumedHit ? ASSUMED : 0));
            state[ci] |= b;
            if (c.assumedHit && ci < firstAssumed) {
                firstAssumed = ci;
            }
            while (busyPrefix < state.length && (state[busyPrefix] & BUSY) != 0) {
                busyPrefix++;
            }
            while (hardPrefix < state.length && (state[hardPrefix] & HARD) != 0) {
                hardPrefix++;
            }
        }

        boolean assumedBefore(int end) {
            return firstAssumed < end;
        }

        boolean busy(int ci) {
            return (state[ci] & BUSY) != 0;
        }
    }

    private final Candidates candidates;
    private final Map<Object, Cursor> cursors = new HashMap<>();
    private final Map<List<Object>, Integer> shapes = new HashMap<>();
    private final Map<Long, Known> known = new HashMap<>();

    SearchMemo(Candidates candidates) {
        this.candidates = candidates;
    }

    /** The cursor of requests whose {@link ListenRequest#searchKey} is {@code key}. */
    Cursor cursor(Object key) {
        return cursors.computeIfAbsent(key, k -> new Cursor());
    }

    /** A small id for everything a check reads from a request, plus the candidate family. */
    int shape(ListenRequest r, Family f) {
        return shapes.computeIfAbsent(Arrays.asList(r.tcp, r.udp, r.reuseUid, f), k -> shapes.size());
    }

    /** What is known of the candidates of family {@code f} on {@code port} for checks of {@code shape}. */
    Known known(int shape, int port, Family f) {
        long key = ((long) shape << 17) | port;
        Known k = known.get(key);
        if (k == null) {
            k = new Known(candidates.of(f).size());
            known.put(key, k);
        }
        return k;
    }

    /**
     * The candidate index of the group at {@code pos}: candidates in order, or with a preferred address the
     * preferred one (index {@code prefIdx}, -1 when it is no candidate) first and the others in order.
     */
    static int canon(int pos, boolean pref, int prefIdx) {
        if (!pref) {
            return pos;
        }
        if (pos == 0) {
            return prefIdx;
        }
        int c = pos - 1;
        return prefIdx >= 0 && c >= prefIdx ? c + 1 : c;
    }

    /**
     * How many groups from the jump position on are the known candidates {@code [0, prefix)}: all of them, less
     * the preferred one, which sits at position 0.
     */
    static int skipCount(int prefix, boolean pref, int prefIdx) {
        return pref && prefIdx >= 0 && prefIdx < prefix ? prefix - 1 : prefix;
    }
}
