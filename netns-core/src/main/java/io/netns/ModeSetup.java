package io.netns;

import io.netns.internal.OwnerRecord;

/**
 * A network mode's setup and teardown, in the mode's own class: every {@link NetworkMode} extends this, so
 * {@link SandboxSetup} dispatches by a virtual call, not a chain of type tests. Adding a mode means one new
 * class (its options and this method) and its name in {@link NetworkMode}'s {@code permits}.
 *
 * <p>Teardown is part of setup: each thing {@link #setUp} makes pushes the step that removes it onto the
 * {@link Cleanup}, which a failure half-way and {@link Sandbox#close()} both run in reverse.
 */
abstract class ModeSetup {
    ModeSetup() {
    }

    /**
     * Makes the sandbox's network.
     *
     * @param host the host it belongs to
     * @param name the sandbox's name (checked)
     * @param record its owner record, claimed; what the setup makes is noted there for {@link Host#reclaim()}
     * @param cleanup where each made thing's undo step goes
     * @return the sandbox, owning {@code cleanup}
     * @throws NetnsException if setup fails (the caller undoes what was pushed)
     */
    abstract Sandbox setUp(Host host, String name, OwnerRecord record, Cleanup cleanup) throws NetnsException;
}
