package io.netns.bench;

import io.netns.NetNamespace;
import io.netns.NetnsException;
import io.netns.Netns;
import io.netns.NetworkMode;
import io.netns.internal.posix.Native;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@code none} create+close against the system-call floor, interleaved operation by operation: each round makes
 * and closes one {@code none} sandbox on a lab host, then makes and removes one namespace the way
 * {@code floor.c}'s {@code none_create_delete} does, from Java on the same thread (placeholder file,
 * {@code unshare}, bind mount, open, {@code lo} up over a fresh rtnetlink socket opened inside, {@code setns} back,
 * close, {@code umount2}, unlink), timing each on its own. Alternating puts a shared machine's load on both sides
 * alike, which a JMH run and a C run seconds apart cannot; the ratio of the medians is the robust figure on a
 * noisy machine. It complements {@code floor.c}, it does not replace it: the Java floor also pays jnr-ffi's few
 * hundred nanoseconds on each of its 13 calls.
 *
 * <p>Usage: {@code NoneFloorCheck [rounds]} (default 1000, after as many warm-up rounds). Prints p25, median,
 * p75 and mean of both and their ratios; exits 0, or 1 when something fails. Makes only {@code bench-} names and
 * removes them.
 */
public final class NoneFloorCheck {
    private static final int RTM_NEWLINK = 16;
    private static final int NLM_F_REQUEST_ACK = 1 | 4;
    private static final int IFF_UP = 1;

    private final int home;
    private final ByteBuffer request = ByteBuffer.allocateDirect(32).order(ByteOrder.nativeOrder());
    private final ByteBuffer kernel = ByteBuffer.allocateDirect(12).order(ByteOrder.nativeOrder());
    private final ByteBuffer reply = ByteBuffer.allocateDirect(4096).order(ByteOrder.nativeOrder());
    private int seq;

    private NoneFloorCheck(int home) {
        this.home = home;
    }

    /**
     * @param args optional: the number of measured rounds
     * @throws Exception if a step fails
     */
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        if (rounds < 10) {
            throw new IllegalArgumentException("rounds must be at least 10: " + rounds);
        }
        long[] none = new long[rounds];
        long[] floor = new long[rounds];
        try (Lab lab = Lab.open("nf")) {
            if (Netns.mode() == Netns.Mode.ROOTLESS) {
                // The machine's namespace belongs to another user namespace: a thread that unshares could not
                // setns back to it. Measure from a thread inside the lab host, whose namespace is this JVM's.
                lab.host().namespace().call(() -> {
                    measure(lab, none, floor);
                    return null;
                });
            } else {
                measure(lab, none, floor);
            }
        }
        Arrays.sort(none);
        Arrays.sort(floor);
        System.out.printf(Locale.ROOT, "| %d rounds, interleaved | p25 | median | p75 | mean |%n|---|---:|---:|---:|---:|%n", rounds);
        line("none create+close (µs)", none);
        line("floor from Java: ns + lo up (µs)", floor);
        System.out.printf(Locale.ROOT, "| ratio | %.2f× | %.2f× | %.2f× | %.2f× |%n", ratio(none, floor, 4), ratio(none, floor, 2),
                ratio(none, floor, -4), mean(none) / mean(floor));
    }

    private static void line(String what, long[] sorted) {
        int n = sorted.length;
        System.out.printf(Locale.ROOT, "| %s | %.1f | %.1f | %.1f | %.1f |%n", what, sorted[n / 4] / 1e3, sorted[n / 2] / 1e3,
                sorted[3 * n / 4] / 1e3, mean(sorted) / 1e3);
    }

    /** The ratio at one quantile: 4 = p25, 2 = median, -4 = p75. */
    private static double ratio(long[] a, long[] b, int q) {
        int i = q > 0 ? a.length / q : a.length * 3 / 4;
        return (double) a[i] / b[i];
    }

    private static double mean(long[] v) {
        double s = 0;
        for (long x : v) {
            s += x;
        }
        return s / v.length;
    }

    /** Both sides, interleaved, twice (the first pass warms up); the floor comes back to the calling thread's namespace. */
    private static void measure(Lab lab, long[] none, long[] floor) throws Exception {
        int home = Native.open("/proc/thread-self/ns/net", Native.O_RDONLY | Native.O_CLOEXEC, 0);
        NoneFloorCheck raw = new NoneFloorCheck(home);
        try {
            for (int pass = 0; pass < 2; pass++) {
                for (int i = 0; i < none.length; i++) {
                    long t0 = System.nanoTime();
                    lab.host().create(Names.unique("nf"), NetworkMode.none()).close();
                    long t1 = System.nanoTime();
                    raw.createDelete(NetNamespace.directory().resolve(Names.unique("nff")).toString());
                    long t2 = System.nanoTime();
                    none[i] = t1 - t0;
                    floor[i] = t2 - t1;
                }
            }
        } finally {
            Native.close(home);
        }
    }

    /** {@code floor.c}'s none_create_delete, once: the calling thread unshares and always comes back. */
    private void createDelete(String path) throws NetnsException {
        Native.close(Native.open(path, Native.O_RDONLY | Native.O_CREAT | Native.O_EXCL | Native.O_CLOEXEC, 0));
        int ns = -1;
        try {
            Native.unshareNet();
            try {
                Native.mount("/proc/thread-self/ns/net", path, "none", Native.MS_BIND);
                ns = Native.open("/proc/thread-self/ns/net", Native.O_RDONLY | Native.O_CLOEXEC, 0);
                loUp();
            } finally {
                Native.setns(home);
            }
        } finally {
            if (ns >= 0) {
                Native.close(ns);
            }
            try {
                Native.umount2(path, Native.MNT_DETACH);
            } finally {
                Native.unlink(path);
            }
        }
    }

    /** lo (index 1 in a new namespace) up, over a socket opened here, acknowledged. */
    private void loUp() throws NetnsException {
        int fd = Native.netlinkSocket(0); // NETLINK_ROUTE
        try {
            request.clear();
            request.putInt(32).putShort((short) RTM_NEWLINK).putShort((short) NLM_F_REQUEST_ACK).putInt(++seq).putInt(0);
            request.put((byte) 0).put((byte) 0).putShort((short) 0).putInt(1).putInt(IFF_UP).putInt(IFF_UP).flip();
            kernel.clear();
            kernel.putShort((short) Native.AF_NETLINK).putShort((short) 0).putInt(0).putInt(0).flip();
            Native.sendto(fd, request, kernel);
            reply.clear();
            Native.recv(fd, reply, 0);
            int error = reply.getInt(16);
            if (error != 0) {
                throw NetnsException.failure("lo up", "the kernel answered errno " + -error);
            }
        } finally {
            Native.close(fd);
        }
    }
}
