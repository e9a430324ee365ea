package io.netns;

import io.netns.internal.OwnerRecord;
import java.util.List;

/**
 * Makes sandboxes as a {@link Cleanup} of undo steps, each mode by its own {@link ModeSetup}: each thing made
 * pushes the step that removes it, so a failure half-way and {@link Sandbox#close()} share one way of undoing.
 * {@link Reclaimer} undoes from the {@link OwnerRecord} what a dead process left.
 */
final class SandboxSetup {
    private SandboxSetup() {
    }

    static Sandbox create(Host host, String name, NetworkMode mode) throws NetnsException {
        Cleanup cleanup = new Cleanup();
        try {
            OwnerRecord record = OwnerRecord.claim(name, host.id(), mode.kind());
            cleanup.push("owner record " + name, record::remove);
            Sandbox s = make(host, name, mode, record, cleanup);
            record.finish();
            return s;
        } catch (NetnsException | RuntimeException | Error e) {
            cleanup.undoAfter(e);
            throw e;
        }
    }

    /** Each mode sets itself up ({@link ModeSetup}); every {@link NetworkMode} is one. */
    private static Sandbox make(Host host, String name, NetworkMode mode, OwnerRecord record, Cleanup cleanup)
            throws NetnsException {
        return ((ModeSetup) mode).setUp(host, name, record, cleanup);
    }

    /**
     * A new namespace with an rtnetlink client inside (the caller owns and closes the client), and its undo
     * step.
     */
    static NetNamespace.Created newNamespace(String name, OwnerRecord record, Cleanup cleanup)
            throws NetnsException {
        // Recorded before it exists, and its identity before it is persisted: a crash at any moment leaves
        // nothing that reclaim() cannot tell apart from a namespace someone else made under the name later.
        record.put("netns", name);
        NetNamespace.Created made = NetNamespace.create(name, true,
                id -> record.put("netnsid", id.dev() + ":" + id.ino()));
        NetNamespace ns = made.namespace();
        cleanup.push("namespace " + name, () -> {
            ns.close();
            ns.delete();
        });
        return made;
    }

    /** What the host itself made (bridge networks), removed when it closes. */
    static void closeHost(Host host) throws NetnsException {
        BridgeSetup.closeNetworks(host);
    }
}
