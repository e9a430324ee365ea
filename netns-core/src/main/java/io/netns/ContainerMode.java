package io.netns;

import io.netns.internal.Names;
import io.netns.internal.OwnerRecord;
import java.nio.file.Path;
import java.util.Objects;

/**
 * {@code container:<id>}: the sandbox joins an existing stack (same interfaces, addresses and port
 * space), named by a sandbox of the same host, a live {@link Sandbox}, a process id or a namespace file.
 * Closing the joiner never destroys the stack it joined. See {@link NetworkMode#container(String)}.
 */
public final class ContainerMode extends ModeSetup implements NetworkMode {
    private final String sandboxName;
    private final Sandbox sandbox;
    private final long pid;
    private final Path path;

    private ContainerMode(String sandboxName, Sandbox sandbox, long pid, Path path) {
        this.sandboxName = sandboxName;
        this.sandbox = sandbox;
        this.pid = pid;
        this.path = path;
    }

    static ContainerMode ofName(String name) {
        return new ContainerMode(Names.check("container sandbox name", name), null, 0, null);
    }

    static ContainerMode ofSandbox(Sandbox sandbox) {
        return new ContainerMode(null, Objects.requireNonNull(sandbox, "sandbox"), 0, null);
    }

    static ContainerMode ofPid(long pid) {
        if (pid <= 0) {
            throw new IllegalArgumentException("container pid must be positive: " + pid);
        }
        return new ContainerMode(null, null, pid, null);
    }

    static ContainerMode ofPath(Path path) {
        return new ContainerMode(null, null, 0, Objects.requireNonNull(path, "namespaceFile"));
    }

    /** Opens the namespace this mode joins, resolved against {@code host}. */
    NetNamespace open(Host host) throws NetnsException {
        if (sandbox != null) {
            return sandbox.namespace().reopen();
        }
        if (sandboxName != null) {
            Sandbox target = host.sandbox(sandboxName).orElseThrow(() -> new IllegalArgumentException(
                    "container mode: no sandbox named '" + sandboxName + "' on " + host
                            + " (live sandboxes: " + host.sandboxes().stream().map(Sandbox::name).toList() + ")"));
            return target.namespace().reopen();
        }
        if (pid != 0) {
            return NetNamespace.ofPid(pid);
        }
        return NetNamespace.open(path);
    }

    /** @return the sandbox joined by name or by value, or null when joined by pid or path */
    Sandbox joinedSandbox(Host host) {
        if (sandbox != null) {
            return sandbox;
        }
        return sandboxName == null ? null : host.sandbox(sandboxName).orElse(null);
    }

    /** A handle on the joined stack; the sandbox makes nothing else, so it removes nothing else. */
    @Override
    Sandbox setUp(Host host, String name, OwnerRecord record, Cleanup cleanup) throws NetnsException {
        NetNamespace ns = open(host);
        cleanup.push("handle " + ns, ns::close);
        return new Sandbox(host, name, this, ns, cleanup, joinedSandbox(host));
    }

    @Override
    public String kind() {
        return "container";
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ContainerMode)) {
            return false;
        }
        ContainerMode c = (ContainerMode) o;
        return Objects.equals(sandboxName, c.sandboxName) && sandbox == c.sandbox && pid == c.pid
                && Objects.equals(path, c.path);
    }

    @Override
    public int hashCode() {
        return Objects.hash(sandboxName, System.identityHashCode(sandbox), pid, path);
    }

    /** @return {@code container:web1}, {@code container:pid=42} or {@code container:/run/netns/x} */
    @Override
    public String toString() {
        if (sandboxName != null) {
            return "container:" + sandboxName;
        }
        if (sandbox != null) {
            return "container:" + sandbox.name();
        }
        return pid != 0 ? "container:pid=" + pid : "container:" + path;
    }
}
