package io.netns.internal.nl;

import io.netns.NetNamespace;
import io.netns.NetlinkException;
import io.netns.NetnsException;
import io.netns.internal.posix.FileDescriptor;
import io.netns.internal.posix.Native;
import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * Internal use only: one netlink socket and its conversation with the kernel, the single engine under
 * rtnetlink ({@code RtnlClient}), sock_diag ({@link SockDiag}) and nf_tables ({@code NatTable}).
 *
 * <p>It owns its descriptor ({@link FileDescriptor}), one request and one receive buffer (direct,
 * native order, pooled), the sequence numbers and the port id the kernel gave it. Every request carries
 * {@code NLM_F_ACK} and is checked:
 * <ul>
 *   <li>the request buffer grows when a request does not fit (the body is simply written again), so
 *       there is no fixed limit on a request's size;</li>
 *   <li>each datagram is sized with {@code MSG_PEEK|MSG_TRUNC} before it is read, and the receive buffer
 *       grows to fit: a reply is never silently truncated;</li>
 *   <li>replies are matched by sequence number and port id ({@link NlReplies}); late answers to an
 *       abandoned request are skipped;</li>
 *   <li>{@code NLMSG_ERROR} becomes a {@link NetlinkException} with the errno and the kernel's
 *       extended-ack text ({@code NETLINK_EXT_ACK}); {@code NLMSG_DONE} ends a dump;</li>
 *   <li>a dump the kernel marks {@code NLM_F_DUMP_INTR} is retried, {@value #DUMP_ATTEMPTS} attempts in
 *       all, then reported with {@code EINTR};</li>
 *   <li>a receive waits at most {@value #RECEIVE_TIMEOUT_SECONDS} s ({@code SO_RCVTIMEO}), so a lost
 *       answer can never hang a caller.</li>
 * </ul>
 * Thread-safe: each conversation holds the socket's lock from request to last reply.
 */
public final class NetlinkSocket implements AutoCloseable {
    /** How many times a dump interrupted by a concurrent change is attempted in all. */
    public static final int DUMP_ATTEMPTS = 5;
    /** The longest a receive waits for the kernel. */
    public static final int RECEIVE_TIMEOUT_SECONDS = 30;
    /** The largest request it builds; more is a caller's bug. */
    public static final int MAX_REQUEST = 64 << 20;

    private static final int REQUEST_CAPACITY = 4 * 1024;
    private static final int RECEIVE_CAPACITY = 64 * 1024;
    private static final BufferPool REQUEST_BUFFERS = new BufferPool(REQUEST_CAPACITY);
    private static final BufferPool RECEIVE_BUFFERS = new BufferPool(RECEIVE_CAPACITY);
    /** The kernel's address, {@code nl_pid} 0; shared read-only (nothing moves its position). */
    private static final ByteBuffer KERNEL = Nl.kernelAddress();
    private static final int SOCKET_RCVBUF = 1024 * 1024;

    /**
     * The datagram transport: the socket in production, a scripted kernel in unit tests. Same contract as
     * {@link Native#sendto} and {@link Native#recv}.
     */
    public interface Transport {
        /**
         * Sends position..limit to the kernel; the position advances.
         *
         * @param message the request
         * @throws NetnsException if the send fails
         */
        void send(ByteBuffer message) throws NetnsException;

        /**
         * Receives one datagram at the position ({@code MSG_TRUNC} semantics: returns its real length).
         *
         * @param buf where it goes
         * @param flags {@code MSG_PEEK}, {@code MSG_TRUNC}, {@code MSG_DONTWAIT}
         * @return the datagram's real length
         * @throws NetnsException if the receive fails
         */
        int receive(ByteBuffer buf, int flags) throws NetnsException;

        /** Releases the transport; called once. */
        void close();
    }

    /** Writes a request's body, after the {@code nlmsghdr} (it may be called again into a larger buffer). */
    @FunctionalInterface
    public interface Body {
        /**
         * @param b the request buffer, positioned after the header
         */
        void write(ByteBuffer b);
    }

    /** Writes whole messages (headers included) of a batch, from position 0, taking sequence numbers from the socket. */
    @FunctionalInterface
    public interface Messages {
        /**
         * @param b the request buffer, cleared
         * @param socket where {@link #nextSeq()} comes from
         */
        void write(ByteBuffer b, NetlinkSocket socket);
    }

    /** Reads one received message of a free-form conversation; true when it is the last one wanted. */
    @FunctionalInterface
    public interface Reader {
        /**
         * @param buf the datagram (absolute offsets)
         * @param at the message's offset
         * @param len its {@code nlmsg_len}
         * @param type its {@code nlmsg_type}
         * @return true to stop reading
         * @throws NetnsException to end the conversation with a failure
         */
        boolean read(ByteBuffer buf, int at, int len, int type) throws NetnsException;
    }

    private final String description;
    private final Transport transport;
    private final int pid;
    private final IntFunction<String> hints;
    private ByteBuffer request;
    private ByteBuffer receive;
    private final NlReplies replies = new NlReplies();
    private boolean closed;
    private int seq;
    private int requestType;

    private NetlinkSocket(String description, Transport transport, int pid, IntFunction<String> hints,
            ByteBuffer request, ByteBuffer receive) {
        this.description = description;
        this.transport = transport;
        this.pid = pid;
        this.hints = hints != null ? hints : errno -> null;
        this.request = request;
        this.receive = receive;
        this.seq = (int) (System.nanoTime() & 0x3fffffff);
    }

    /**
     * Opens a socket in {@code ns} (the calling thread switches in to make it, if it is not there); it acts
     * there for its whole life.
     *
     * @param ns the namespace
     * @param protocol e.g. {@link Nl#NETLINK_ROUTE}
     * @param name what to call it in messages, e.g. {@code RtnlClient}
     * @param hints an errno's hint for messages (e.g. the capability it needs), or null
     * @return the socket, which the caller closes
     * @throws NetnsException if it cannot be opened or bound
     */
    public static NetlinkSocket open(NetNamespace ns, int protocol, String name, IntFunction<String> hints)
            throws NetnsException {
        Objects.requireNonNull(ns, "ns");
        FileDescriptor fd = FileDescriptor.of(ns.call(() -> Native.netlinkSocket(protocol)));
        return setUp(fd, name + "(" + ns, hints);
    }

    /**
     * Opens a socket in the calling thread's namespace.
     *
     * @param protocol e.g. {@link Nl#NETLINK_SOCK_DIAG}
     * @param name what to call it in messages
     * @param hints an errno's hint, or null
     * @return the socket, which the caller closes
     * @throws NetnsException if it cannot be opened or bound
     */
    public static NetlinkSocket open(int protocol, String name, IntFunction<String> hints) throws NetnsException {
        return setUp(FileDescriptor.of(Native.netlinkSocket(protocol)), name + "(here", hints);
    }

    /**
     * A socket over another transport: a scripted kernel in unit tests.
     *
     * @param transport the transport
     * @param pid the port id it stands for
     * @param description what to call it
     * @param hints an errno's hint, or null
     * @param request the request buffer (direct, native order)
     * @param receive the receive buffer (direct, native order)
     * @return the socket
     */
    public static NetlinkSocket over(Transport transport, int pid, String description, IntFunction<String> hints,
            ByteBuffer request, ByteBuffer receive) {
        return new NetlinkSocket(description, transport, pid, hints, request, receive);
    }

    /** Sets up a socket made just now; owns it, also when this fails. */
    private static NetlinkSocket setUp(FileDescriptor socket, String prefix, IntFunction<String> hints)
            throws NetnsException {
        int fd = socket.intValue();
        ByteBuffer request = REQUEST_BUFFERS.take();
        ByteBuffer receive = RECEIVE_BUFFERS.take();
        try {
            Native.setsockopt(fd, Native.SOL_SOCKET, Native.SO_RCVBUF, SOCKET_RCVBUF);
            Native.setReceiveTimeout(fd, RECEIVE_TIMEOUT_SECONDS);
            optional(fd, Nl.NETLINK_CAP_ACK);
            optional(fd, Nl.NETLINK_EXT_ACK);
            optional(fd, Nl.NETLINK_GET_STRICT_CHK);
            Native.bind(fd, KERNEL); // nl_pid 0: the kernel assigns the port id
            receive.clear().limit(12);
            Native.getsockname(fd, receive);
            int pid = receive.getInt(4);
            receive.clear();
            return new NetlinkSocket(prefix + ", fd=" + fd + ", port=" + Integer.toUnsignedString(pid) + ")",
                    new SocketTransport(socket), pid, hints, request, receive);
        } catch (NetnsException | RuntimeException | Error e) {
            socket.close();
            REQUEST_BUFFERS.give(request);
            RECEIVE_BUFFERS.give(receive);
            throw e;
        }
    }

    /** The production transport: the netlink socket, talking to the kernel (port 0). */
    private static final class SocketTransport implements Transport {
        private final FileDescriptor fd;

        SocketTransport(FileDescriptor fd) {
            this.fd = fd;
        }

        @Override
        public void send(ByteBuffer message) throws NetnsException {
            Native.sendto(fd.intValue(), message, KERNEL);
        }

        @Override
        public int receive(ByteBuffer buf, int flags) throws NetnsException {
            return Native.recv(fd.intValue(), buf, flags);
        }

        @Override
        public void close() {
            fd.close();
        }
    }

    /** The netlink options are from kernels 4.2 to 4.20; an older kernel simply goes without them. */
    private static void optional(int fd, int option) {
        try {
            Native.setsockopt(fd, Native.SOL_NETLINK, option, 1);
        } catch (NetnsException e) {
            // ENOPROTOOPT on an old kernel: the socket still works, with less precise errors.
        }
    }

    /** @return the socket's netlink port id ({@code nl_pid}), as the kernel assigned it */
    public int portId() {
        return pid;
    }

    /** @return the next sequence number, for a batch's messages */
    public int nextSeq() {
        return ++seq;
    }

    /**
     * Sends one request and reads its reply up to the ACK.
     *
     * @param op the operation, for messages
     * @param type {@code nlmsg_type}
     * @param flags flags besides {@code NLM_F_REQUEST|NLM_F_ACK}
     * @param body writes the body
     * @param handler receives the data messages of the reply, or null
     * @throws NetlinkException if the kernel answers with an error
     * @throws NetnsException if the socket fails or the reply is malformed
     */
    public synchronized void execute(Supplier<String> op, int type, int flags, Body body, NlReplies.Handler handler)
            throws NetnsException {
        build(type, flags, body);
        send();
        receive(op, handler);
        if (replies.errno() != 0) {
            throw failure(op, replies.errno(), replies.extendedAck());
        }
    }

    /**
     * Sends a dump request and reads it to {@code NLMSG_DONE}, retrying while the kernel marks it
     * interrupted.
     *
     * @param op the operation, for messages
     * @param type {@code nlmsg_type}
     * @param flags flags besides {@code NLM_F_REQUEST|NLM_F_ACK|NLM_F_DUMP}
     * @param body writes the body
     * @param restart run before each attempt (drop what an interrupted one collected)
     * @param handler receives the data messages
     * @throws NetlinkException if the kernel answers with an error, or the dump stays interrupted
     * @throws NetnsException if the socket fails or the reply is malformed
     */
    public synchronized void dump(Supplier<String> op, int type, int flags, Body body, Runnable restart,
            NlReplies.Handler handler) throws NetnsException {
        build(type, flags | Nl.NLM_F_DUMP, body);
        for (int attempt = 1; ; attempt++) {
            restart.run();
            send();
            receive(op, handler);
            if (replies.errno() != 0) {
                throw failure(op, replies.errno(), replies.extendedAck());
            }
            if (!replies.dumpInterrupted()) {
                return;
            }
            if (attempt == DUMP_ATTEMPTS) {
                throw new NetlinkException(op.get(), Native.EINTR, requestType, null,
                        "NLM_F_DUMP_INTR: the dump was interrupted by concurrent changes " + DUMP_ATTEMPTS
                                + " times in a row; try again");
            }
        }
    }

    /**
     * A free-form conversation (an nf_tables batch): sends what each of {@code datagrams} writes as one
     * datagram, in order, then reads every message addressed to this socket's port id and hands it to
     * {@code reader} until it returns true. The caller matches sequence numbers itself. If this throws,
     * answers may be left unread: the caller closes the socket rather than reuse it.
     *
     * @param op the operation, for messages
     * @param reader reads the answers
     * @param datagrams each writes whole messages; the buffer grows when they do not fit
     * @throws NetnsException if the socket fails, the reader throws, or a reply is malformed
     */
    public synchronized void converse(Supplier<String> op, Reader reader, Messages... datagrams) throws NetnsException {
        ensureOpen();
        for (Messages messages : datagrams) {
            while (true) {
                request.clear();
                try {
                    messages.write(request, this);
                    break;
                } catch (BufferOverflowException | IndexOutOfBoundsException e) { // relative or absolute puts
                    grow();
                }
            }
            request.flip();
            transport.send(request);
            request.clear();
        }
        while (true) {
            int n = receiveDatagram(op);
            ByteBuffer buf = receive;
            for (int at = 0; at < n; ) {
                int len;
                try {
                    len = NlMsgHdr.check(buf, at, n);
                } catch (NlFormatException e) {
                    throw malformed(op, e);
                }
                if (NlMsgHdr.pid(buf, at) == pid || NlMsgHdr.pid(buf, at) == 0) {
                    if (reader.read(buf, at, len, NlMsgHdr.type(buf, at))) {
                        return;
                    }
                }
                at += Nl.nlmsgAlign(len);
            }
        }
    }

    /** Writes header and body, growing the request buffer until the body fits. */
    private void build(int type, int flags, Body body) {
        ensureOpen();
        requestType = type;
        while (true) {
            ByteBuffer b = request;
            b.clear();
            NlMsgHdr.put(b, 0, 0, type, flags | Nl.NLM_F_REQUEST | Nl.NLM_F_ACK, 0, 0);
            b.position(NlMsgHdr.SIZE);
            try {
                body.write(b);
                b.putInt(0, b.position());
                return;
            } catch (BufferOverflowException | IndexOutOfBoundsException e) { // relative or absolute puts
                grow();
            }
        }
    }

    private void grow() {
        int capacity = request.capacity() * 2;
        if (capacity > MAX_REQUEST) {
            throw new IllegalArgumentException("netlink request larger than " + MAX_REQUEST + " bytes");
        }
        if (request.capacity() == REQUEST_CAPACITY) {
            REQUEST_BUFFERS.give(request);
        }
        request = ByteBuffer.allocateDirect(capacity).order(ByteOrder.nativeOrder());
    }

    private void send() throws NetnsException {
        ByteBuffer b = request;
        int length = b.getInt(0);
        b.putInt(8, ++seq);
        b.limit(length).position(0);
        transport.send(b);
        b.limit(b.capacity());
    }

    private void receive(Supplier<String> op, NlReplies.Handler handler) throws NetnsException {
        replies.reset(seq, pid);
        NlReplies.Handler h = handler != null ? handler : (buf, msg, type) -> { };
        do {
            int n = receiveDatagram(op);
            try {
                replies.accept(receive, n, h);
            } catch (NlFormatException e) {
                drain();
                throw malformed(op, e);
            } catch (RuntimeException e) {
                drain();
                throw e;
            }
        } while (!replies.isComplete());
    }

    /** Reads one datagram whole into {@link #receive}, growing it first when the datagram is larger. */
    private int receiveDatagram(Supplier<String> op) throws NetnsException {
        ByteBuffer buf = receive;
        buf.clear();
        int size;
        try {
            size = transport.receive(buf, Native.MSG_PEEK | Native.MSG_TRUNC);
        } catch (NetnsException e) {
            if (e.errno() == Native.EAGAIN) {
                throw NetnsException.failure(op.get(), op.get() + " failed: no answer from the kernel within "
                        + RECEIVE_TIMEOUT_SECONDS + " s on " + description);
            }
            throw e;
        }
        if (size > buf.capacity()) {
            if (buf.capacity() == RECEIVE_CAPACITY) {
                RECEIVE_BUFFERS.give(buf);
            }
            receive = buf = ByteBuffer.allocateDirect(Integer.highestOneBit(size - 1) << 1).order(ByteOrder.nativeOrder());
        }
        buf.clear();
        int n = transport.receive(buf, Native.MSG_TRUNC);
        if (n > buf.capacity()) { // cannot happen after the peek; never decode a partial datagram
            throw NetnsException.failure("recvfrom", "netlink datagram of " + n + " bytes truncated to "
                    + buf.capacity() + " while reading the reply to " + op.get());
        }
        return n;
    }

    private static NetnsException malformed(Supplier<String> op, NlFormatException e) {
        // NetnsException.failure fixes a null cause, so the codec's message is carried in ours.
        return NetnsException.failure(op.get(), op.get() + " failed: malformed reply: " + e.getMessage());
    }

    /**
     * After a reply could not be decoded, reads what is left of it without blocking, so a half-read dump
     * does not hold the socket (the kernel refuses a new dump while one runs, and queues its remainder
     * ahead of later answers). A dump's next part is queued synchronously by each read, so stopping at
     * the first empty read is enough.
     */
    private void drain() {
        NlReplies.Handler ignore = (buf, msg, type) -> { };
        for (int i = 0; i < 100_000 && !replies.isComplete(); i++) {
            ByteBuffer buf = receive;
            buf.clear();
            int n;
            try {
                n = transport.receive(buf, Native.MSG_TRUNC | Native.MSG_DONTWAIT);
            } catch (NetnsException | RuntimeException e) {
                return; // EAGAIN: nothing more queued
            }
            try {
                replies.accept(buf, Math.min(n, buf.capacity()), ignore);
            } catch (RuntimeException e) {
                // skip the rest of this datagram; later datagrams are independent
            }
        }
    }

    private NetlinkException failure(Supplier<String> op, int errno, String extack) {
        return new NetlinkException(op.get(), errno, requestType, extack, hints.apply(errno));
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(description + " is closed");
        }
    }

    /** @return true once closed */
    public synchronized boolean isClosed() {
        return closed;
    }

    /** Closes the socket and gives its buffers back; idempotent. Calls after this throw {@link IllegalStateException}. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            transport.close();
            REQUEST_BUFFERS.give(request);
            RECEIVE_BUFFERS.give(receive);
        }
    }

    @Override
    public String toString() {
        return description;
    }
}
