package io.netns.internal.nl;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The direct buffers of closed clients, kept for the next client. {@code ByteBuffer.allocateDirect} of a
 * 64 KiB buffer costs tens to hundreds of microseconds once direct memory churns (zeroing, the cleaner,
 * {@code Bits.reserveMemory}), more than a whole netlink request, and bridge mode opens a short-lived
 * client per sandbox. At most {@link #MAX_POOLED} buffers of each size are kept.
 */
final class BufferPool {
    static final int MAX_POOLED = 16;

    private final int capacity;
    private final ConcurrentLinkedDeque<ByteBuffer> free = new ConcurrentLinkedDeque<>();
    private final AtomicInteger pooled = new AtomicInteger();

    BufferPool(int capacity) {
        this.capacity = capacity;
    }

    /** @return a cleared, native-order direct buffer of this pool's capacity */
    ByteBuffer take() {
        ByteBuffer b = free.pollFirst();
        if (b == null) {
            return ByteBuffer.allocateDirect(capacity).order(ByteOrder.nativeOrder());
        }
        pooled.decrementAndGet();
        b.clear();
        return b;
    }

    /** @param b a buffer its owner no longer uses; one of another size (a grown one) is dropped */
    void give(ByteBuffer b) {
        if (b.capacity() == capacity && pooled.incrementAndGet() <= MAX_POOLED) {
            free.offerFirst(b);
        } else if (b.capacity() == capacity) {
            pooled.decrementAndGet();
        }
    }
}
