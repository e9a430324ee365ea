package io.netns;

import io.netns.internal.OwnerRecord;
import io.netns.rtnl.RtnlClient;

/** {@code none}: a fresh, persisted namespace with {@code lo} up and nothing else. See {@link NetworkMode#none()}. */
public final class NoneMode extends ModeSetup implements NetworkMode {
    static final NoneMode INSTANCE = new NoneMode();

    private NoneMode() {
    }

    /** A new namespace with {@code lo} up, configured by one client the creating thread opened inside it. */
    @Override
    Sandbox setUp(Host host, String name, OwnerRecord record, Cleanup cleanup) throws NetnsException {
        NetNamespace.Created made = SandboxSetup.newNamespace(name, record, cleanup);
        try (RtnlClient inside = made.inside()) {
            inside.setUp("lo");
        }
        return new Sandbox(host, name, this, made.namespace(), cleanup, null);
    }

    @Override
    public String kind() {
        return "none";
    }

    @Override
    public String toString() {
        return "none";
    }
}
