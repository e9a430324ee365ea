package io.netns.planner;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Internal use only. The order in which a port search tries ports (§6.6): tiers of {@code {low, high, filter}}.
 * A range goes outside the ephemeral range before inside it, and unreserved before reserved ports in each; the
 * automatic pool is {@code [max(1024, unprivileged start), ephemeral low)} then the ephemeral range, reserved ports
 * skipped. Tiers depend only on the request's port shape and the sysctls, so they are built once per shape.
 */
final class PortOrder {

    /** Filter values of a tier's third element. */
    static final int CLEAN = 0;
    static final int RESERVED_ONLY = 1;

    private final KernelPorts kernel;
    private final Map<List<Object>, int[][]> tierCache = new HashMap<>();
    private final Map<List<Object>, Integer> firstPortCache = new HashMap<>();

    PortOrder(KernelPorts kernel) {
        this.kernel = kernel;
    }

    KernelPorts kernel() {
        return kernel;
    }

    /** Whether binding {@code port} needs CAP_NET_BIND_SERVICE that {@code r} does not have. */
    boolean privileged(int port, ListenRequest r) {
        return !r.cap && port < kernel.unprivilegedPortStart();
    }

    /** The tiers of {@code r}'s port order; shared, do not modify. */
    int[][] tiers(ListenRequest r) {
        return tierCache.computeIfAbsent(Arrays.asList(r.mode, r.low, r.high, r.cap), k -> makeTiers(r));
    }

    private int[][] makeTiers(ListenRequest r) {
        int el = kernel.ephemeralLow();
        int eh = kernel.ephemeralHigh();
        if (r.mode == ListenRequest.PortMode.ANY) {
            int low = Math.max(1024, r.cap ? 0 : kernel.unprivilegedPortStart());
            return new int[][] {{low, Math.min(el - 1, 65535), CLEAN}, {Math.max(el, low), eh, CLEAN}};
        }
        // range: outside-ephemeral clean, outside-ephemeral reserved, inside-ephemeral clean, inside reserved
        int a = r.low;
        int b = r.high;
        List<int[]> t = new ArrayList<>();
        int[][] outside = {{a, Math.min(b, el - 1)}, {Math.max(a, eh + 1), b}};
        for (int filter = CLEAN; filter <= RESERVED_ONLY; filter++) {
            for (int[] o : outside) {
                if (o[0] <= o[1]) {
                    t.add(new int[] {o[0], o[1], filter});
                }
            }
        }
        int il = Math.max(a, el);
        int ih = Math.min(b, eh);
        if (il <= ih) {
            t.add(new int[] {il, ih, CLEAN});
            t.add(new int[] {il, ih, RESERVED_ONLY});
        }
        return t.toArray(new int[0][]);
    }

    /** Whether {@code port} belongs to {@code tier}: the automatic pool skips reserved ports. */
    boolean accepts(int[] tier, int port, ListenRequest r) {
        boolean res = kernel.isReserved(port);
        if (r.mode == ListenRequest.PortMode.ANY) {
            return !res;
        }
        return tier[2] == CLEAN ? !res : res;
    }

    /** Whether any port of {@code tiers} (the order of {@code r}) is not privileged for {@code r}. */
    boolean anyUnprivileged(int[][] tiers, ListenRequest r) {
        for (int[] t : tiers) {
            for (int p = t[0]; p <= t[1]; p++) {
                if (!privileged(p, r)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The first port of the order that {@code r} may bind, or -1. */
    int firstPort(ListenRequest r) {
        // the same for every failed request of this port shape: scan once (a wide range is 64k ports)
        return firstPortCache.computeIfAbsent(Arrays.asList(r.mode, r.low, r.high, r.cap), k -> scanFirstPort(r));
    }

    private int scanFirstPort(ListenRequest r) {
        for (int[] t : tiers(r)) {
            for (int p = t[0]; p <= t[1]; p++) {
                if (!privileged(p, r) && accepts(t, p, r)) {
                    return p;
                }
            }
        }
        return -1;
    }

    /** The automatic pool in words, e.g. {@code 1024-32767 without reserved ports, then 32768-60999}. */
    String poolText(ListenRequest r) {
        int[][] t = tiers(r);
        return t[0][0] + "-" + t[0][1] + " without reserved ports, then " + t[1][0] + "-" + t[1][1];
    }
}
