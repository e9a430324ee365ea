package io.netns.internal.posix;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Internal use only: one open file descriptor and who may still use it, the single ownership model of
 * netns (namespace handles, netlink sockets, the descriptors the namespace-creating threads make).
 *
 * <p>Shaped after netty's {@code unix.FileDescriptor}: one atomic state word holds a closed flag and a count
 * of users. The owner holds one reference from the start; {@link #acquire()} adds one for a borrower (a
 * call switched into a namespace, a thread living in it) and {@link #release()} gives it back. {@link #close()}
 * is idempotent: the first call marks the descriptor closed (later {@code acquire}s fail) and gives up the
 * owner's reference; the native {@code close(2)} runs exactly once, when the last reference goes, and is
 * never retried on {@code EINTR} (the descriptor is released already, close(2) NOTES).
 */
public final class FileDescriptor implements AutoCloseable {
    private static final int CLOSED = 1;
    private static final int ONE = 2;

    private final int fd;
    /** {@code references << 1 | CLOSED}. */
    private final AtomicInteger state = new AtomicInteger(ONE);

    private FileDescriptor(int fd) {
        if (fd < 0) {
            throw new IllegalArgumentException("file descriptor must be >= 0: " + fd);
        }
        this.fd = fd;
    }

    /**
     * Takes ownership of a descriptor just returned by a system call.
     *
     * @param fd the descriptor, {@code >= 0}
     * @return its owner, holding the one reference
     */
    public static FileDescriptor of(int fd) {
        return new FileDescriptor(fd);
    }

    /**
     * {@code open(path, flags | O_CLOEXEC)}.
     *
     * @param path the file
     * @param flags e.g. {@link Native#O_RDONLY}
     * @return the owned descriptor
     * @throws io.netns.NetnsException if the call fails
     */
    public static FileDescriptor open(String path, int flags) throws io.netns.NetnsException {
        return new FileDescriptor(Native.open(path, flags, 0));
    }

    /**
     * The number, for the owner's own system calls while it holds its reference (it must not close it).
     *
     * @return the descriptor
     */
    public int intValue() {
        return fd;
    }

    /**
     * Borrows the descriptor until {@link #release()}: it stays open meanwhile, even if closed.
     *
     * @return the descriptor
     * @throws IllegalStateException if it is closed already
     */
    public int acquire() {
        while (true) {
            int s = state.get();
            if ((s & CLOSED) != 0 || s < ONE) {
                throw new IllegalStateException("fd " + fd + " is closed");
            }
            if (state.compareAndSet(s, s + ONE)) {
                return fd;
            }
        }
    }

    /** Gives back a reference taken by {@link #acquire()}; the last one out closes the descriptor. */
    public void release() {
        if (state.addAndGet(-ONE) == CLOSED) {
            Native.close(fd);
        }
    }

    /** @return true once {@link #close()} was called (the descriptor may stay open while borrowed) */
    public boolean isClosed() {
        return (state.get() & CLOSED) != 0;
    }

    /**
     * Marks the descriptor closed and gives up the owner's reference; idempotent.
     *
     * @return true for the call that marked it
     */
    public boolean markClosed() {
        while (true) {
            int s = state.get();
            if ((s & CLOSED) != 0) {
                return false;
            }
            if (state.compareAndSet(s, s | CLOSED)) {
                release();
                return true;
            }
        }
    }

    /** {@link #markClosed()}, for try-with-resources. */
    @Override
    public void close() {
        markClosed();
    }

    @Override
    public String toString() {
        return "fd " + fd + (isClosed() ? " (closed)" : "");
    }
}
