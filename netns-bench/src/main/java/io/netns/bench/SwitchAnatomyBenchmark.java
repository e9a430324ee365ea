package io.netns.bench;

import io.netns.NetnsException;
import io.netns.internal.posix.Native;
import java.util.concurrent.atomic.AtomicInteger;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.IgnoreError;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Where the time of {@link SwitchBenchmark#callOtherAndBack} goes, layer by layer, so that a miss of the
 * 1.15× target can be attributed (these are diagnostics, not targets):
 *
 * <ol>
 *   <li>{@link #jnrSetnsPairIgnoreError}: two setns through a jnr-ffi interface that does not save errno —
 *       the cheapest way jnr-ffi can make the two system calls;</li>
 *   <li>{@link #jnrSetnsPair}: the same with jnr-ffi's default of saving errno after every call, the shape
 *       of the library's {@code LibC};</li>
 *   <li>{@link #nativeSetnsPair}: the library's own checked wrapper {@code Native.setns} twice;</li>
 *   <li>{@link #jnrGetpid} / {@link #jnrGetpidIgnoreError}: a system call that does nothing, so the
 *       difference to {@code floor.c}'s {@code getpid} line is jnr-ffi's per-call overhead;</li>
 *   <li>{@link #threadLocalGet} and {@link #refcountCas}: the bookkeeping {@code call()} adds (the per-thread
 *       state lookup, and the acquire/release pair on the handle's reference count).</li>
 * </ol>
 *
 * The namespaces are opened with the library's {@code Native.open}, exactly as {@code NetNamespace} does.
 */
public class SwitchAnatomyBenchmark extends AbstractNetnsBenchmark {
    private static final int CLONE_NEWNET = 0x40000000;

    /** Our own jnr-ffi view of libc, mirroring the library's {@code LibC} (errno saved). */
    public interface Libc {
        int setns(int fd, int nstype);

        long syscall(long number);
    }

    /** The same calls with errno not saved. */
    public interface LibcIgnoreError {
        @IgnoreError
        int setns(int fd, int nstype);

        @IgnoreError
        long syscall(long number);
    }

    /** Two namespace descriptors and the two jnr-ffi bindings. */
    @State(Scope.Benchmark)
    public static class Fds {
        int other;
        int home;
        Libc libc;
        LibcIgnoreError libcIgnoreError;

        private final Undo undo = new Undo();

        @Setup
        public void open(BenchNamespaces ns) throws Exception {
            try {
                other = Native.open(ns.other.path().toString(), Native.O_RDONLY, 0);
                int o = other;
                undo.push(() -> Native.close(o));
                home = Native.open("/proc/self/ns/net", Native.O_RDONLY, 0);
                int h = home;
                undo.push(() -> Native.close(h));
                libc = LibraryLoader.create(Libc.class).failImmediately().load("c");
                libcIgnoreError = LibraryLoader.create(LibcIgnoreError.class).failImmediately().load("c");
            } catch (Exception | Error e) {
                throw undo.abort(e);
            }
        }

        @TearDown
        public void close() throws Exception {
            undo.run();
        }
    }

    private static final long SYS_GETPID = 39; // x86_64; getpid() itself may be cached by libc, syscall(2) is not

    private final ThreadLocal<Object> local = ThreadLocal.withInitial(Object::new);
    private final AtomicInteger refs = new AtomicInteger(1);

    @Benchmark
    public int jnrSetnsPairIgnoreError(Fds f) {
        return f.libcIgnoreError.setns(f.other, CLONE_NEWNET) | f.libcIgnoreError.setns(f.home, CLONE_NEWNET);
    }

    @Benchmark
    public int jnrSetnsPair(Fds f) {
        return f.libc.setns(f.other, CLONE_NEWNET) | f.libc.setns(f.home, CLONE_NEWNET);
    }

    @Benchmark
    public void nativeSetnsPair(Fds f) throws NetnsException {
        Native.setns(f.other);
        Native.setns(f.home);
    }

    @Benchmark
    public long jnrGetpid(Fds f) {
        return f.libc.syscall(SYS_GETPID);
    }

    @Benchmark
    public long jnrGetpidIgnoreError(Fds f) {
        return f.libcIgnoreError.syscall(SYS_GETPID);
    }

    /** The per-thread state lookup {@code call()} starts with (a warm {@link ThreadLocal#get()}). */
    @Benchmark
    public Object threadLocalGet() {
        return local.get();
    }

    /** The reference count's acquire (get + CAS, as in {@code NetNamespace.acquire}) and release. */
    @Benchmark
    public int refcountCas() {
        int r = refs.get();
        refs.compareAndSet(r, r + 1);
        return refs.decrementAndGet();
    }
}
