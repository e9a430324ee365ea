package io.netns;

/**
 * A namespace, link or file that was asked for does not exist (ENOENT): for example
 * {@link NetNamespace#open(String)} of a name that {@code ip netns list} does not show.
 */
public final class NamespaceNotFoundException extends NetnsException {
    private static final long serialVersionUID = 1L;

    NamespaceNotFoundException(String operation, int errno, String message) {
        super(operation, errno, message, null);
    }
}
