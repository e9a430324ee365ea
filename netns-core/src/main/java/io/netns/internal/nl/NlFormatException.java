package io.netns.internal.nl;

/**
 * Internal use only: a netlink message or attribute is truncated or malformed (a length that is too
 * small, or runs past its container). Thrown by the codecs instead of reading garbage or looping.
 */
public final class NlFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what is wrong, with the offsets involved
     */
    public NlFormatException(String message) {
        super(message);
    }
}
