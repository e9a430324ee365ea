package io.netns;

/**
 * The kernel answered a netlink request with an error. Besides the errno it carries the request's
 * message type and the kernel's extended-ack text, which often says exactly what was wrong
 * ({@code "Nexthop has invalid gateway"}).
 */
public final class NetlinkException extends NetnsException {
    private static final long serialVersionUID = 1L;

    /** The netlink message type of the failed request. */
    private final int messageType;
    /** The kernel's extended-ack text, or null. */
    private final String extendedAck;

    /**
     * Creates the exception for one failed request.
     *
     * @param operation the request, e.g. {@code RTM_NEWLINK(veth a0b1c2 peer eth0)}
     * @param errno the positive errno the kernel returned
     * @param messageType the netlink message type of the request
     * @param extendedAck the kernel's extended-ack text, or null
     * @param hint what to do about it, or null
     */
    public NetlinkException(String operation, int errno, int messageType, String extendedAck, String hint) {
        super(stripArgs(operation), errno, operation + " failed: " + errnoName(errno)
                + (extendedAck == null || extendedAck.isEmpty() ? "" : " (kernel: " + extendedAck + ")")
                + (hint == null ? "" : ": " + hint), null);
        this.messageType = messageType;
        this.extendedAck = extendedAck == null ? "" : extendedAck;
    }

    /** @return the netlink message type of the request that failed */
    public int messageType() {
        return messageType;
    }

    /** @return the kernel's extended-ack text, or {@code ""} when it sent none */
    public String extendedAck() {
        return extendedAck;
    }

    private static String stripArgs(String operation) {
        int paren = operation.indexOf('(');
        return paren < 0 ? operation : operation.substring(0, paren);
    }
}
