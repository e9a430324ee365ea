package io.netns.rtnl;

import io.netns.NetnsException;
import java.nio.ByteBuffer;

/**
 * The datagram transport under {@link RtnlClient}: the netlink socket in production, a scripted kernel in
 * unit tests. Same contract as {@code Native.sendto}/{@code Native.recv}.
 */
interface NetlinkChannel {
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
     * @param flags {@code MSG_PEEK} and/or {@code MSG_TRUNC}
     * @return the datagram's real length
     * @throws NetnsException if the receive fails
     */
    int receive(ByteBuffer buf, int flags) throws NetnsException;

    /** Releases the transport; called once. */
    void close();
}
