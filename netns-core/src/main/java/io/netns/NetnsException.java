package io.netns;

import java.io.IOException;
import jnr.constants.platform.Errno;

/**
 * A system call or kernel request made by netns failed.
 *
 * <p>Every instance names the {@linkplain #operation() operation} with its arguments, the
 * {@linkplain #errno() errno} and its {@linkplain #errnoName() symbolic name}, and where it helps, what
 * to do about it: {@code setns(fd=12, CLONE_NEWNET) failed: EPERM (Operation not permitted): needs
 * CAP_SYS_ADMIN}. Callers branch on the subclasses: {@link NetnsPermissionException} (EPERM, EACCES),
 * {@link NamespaceNotFoundException} (ENOENT) and {@link NetlinkException} (a kernel netlink error).
 * Instances are made only by {@link #of(String, int, String)}.
 */
public class NetnsException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The call that failed, such as {@code setns}. */
    private final String operation;
    /** The errno it failed with, or 0. */
    private final int errno;

    /**
     * Creates an exception; use {@link #of(String, int, String)} for a failed call.
     *
     * @param operation the call that failed, e.g. {@code setns}
     * @param errno the errno, or 0 when the failure is not an errno
     * @param message the full message
     * @param cause the cause, may be null
     */
    protected NetnsException(String operation, int errno, String message, Throwable cause) {
        super(message);
        if (cause != null) {
            initCause(cause);
        }
        this.operation = operation;
        this.errno = errno;
    }

    /**
     * Makes the exception for a failed call, picking the subclass from the errno.
     *
     * @param operation the call with its arguments, e.g. {@code setns(fd=12, CLONE_NEWNET)}
     * @param errno the errno the call left
     * @param hint what to do about it, or null
     * @return the exception to throw
     */
    public static NetnsException of(String operation, int errno, String hint) {
        String message = operation + " failed: " + errnoName(errno) + " (" + describe(errno) + ")"
                + (hint == null || hint.isEmpty() ? "" : ": " + hint);
        String op = operationName(operation);
        if (errno == Errno.EPERM.intValue() || errno == Errno.EACCES.intValue()) {
            return new NetnsPermissionException(op, errno, message);
        }
        if (errno == Errno.ENOENT.intValue()) {
            return new NamespaceNotFoundException(op, errno, message);
        }
        return new NetnsException(op, errno, message, null);
    }

    /**
     * Makes an exception for a failure that has no errno (a state, a missing tool).
     *
     * @param operation what was being done
     * @param message the full message, saying what to do about it
     * @return the exception to throw
     */
    public static NetnsException failure(String operation, String message) {
        return new NetnsException(operationName(operation), 0, message, null);
    }

    /**
     * Wraps an {@link IOException} of the JDK (a {@code /proc} read, a process start) with the operation.
     *
     * @param operation what was being done
     * @param cause the JDK's exception
     * @return the exception to throw
     */
    public static NetnsException wrap(String operation, IOException cause) {
        if (cause instanceof NetnsException) {
            return (NetnsException) cause;
        }
        return new NetnsException(operationName(operation), 0, operation + " failed: " + cause.getMessage(), cause);
    }

    /** @return the call that failed, without arguments, e.g. {@code setns} */
    public String operation() {
        return operation;
    }

    /** @return the errno, or 0 when the failure was not a system call's */
    public int errno() {
        return errno;
    }

    /** @return the errno's symbolic name, e.g. {@code EPERM}, or {@code ""} when errno is 0 */
    public String errnoName() {
        return errno == 0 ? "" : errnoName(errno);
    }

    static String errnoName(int errno) {
        Errno e = Errno.valueOf(errno);
        return e == null || e == Errno.__UNKNOWN_CONSTANT__ ? "errno " + errno : e.name();
    }

    private static String describe(int errno) {
        Errno e = Errno.valueOf(errno);
        return e == null || e == Errno.__UNKNOWN_CONSTANT__ ? "unknown error" : e.description();
    }

    private static String operationName(String operation) {
        int paren = operation.indexOf('(');
        return paren < 0 ? operation : operation.substring(0, paren);
    }
}
