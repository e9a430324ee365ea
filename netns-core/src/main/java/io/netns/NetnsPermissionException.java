package io.netns;

/**
 * The kernel refused for lack of privilege (EPERM or EACCES). The message names the capability needed:
 * {@code CAP_SYS_ADMIN} to create, enter or mount namespaces, {@code CAP_NET_ADMIN} to change links,
 * addresses, routes and the firewall. Run as root, or grant both capabilities to the JVM.
 */
public final class NetnsPermissionException extends NetnsException {
    private static final long serialVersionUID = 1L;

    NetnsPermissionException(String operation, int errno, String message) {
        super(operation, errno, message, null);
    }
}
