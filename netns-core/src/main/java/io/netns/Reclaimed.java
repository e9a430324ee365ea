package io.netns;

import java.util.AbstractList;
import java.util.List;

/**
 * What {@link Host#reclaim()} did: as a list, the names of the sandboxes it reclaimed (so it compares equal
 * to any list of those names); {@link #removed()} for the orphans it collected, {@link #spared()} for what
 * it left on purpose and why.
 */
public final class Reclaimed extends AbstractList<String> {
    private final List<String> sandboxes;
    private final List<String> removed;
    private final List<String> spared;

    Reclaimed(List<String> sandboxes, List<String> removed, List<String> spared) {
        this.sandboxes = List.copyOf(sandboxes);
        this.removed = List.copyOf(removed);
        this.spared = List.copyOf(spared);
    }

    /**
     * @param index an index
     * @return the name of a reclaimed sandbox
     */
    @Override
    public String get(int index) {
        return sandboxes.get(index);
    }

    /** @return how many sandboxes were reclaimed */
    @Override
    public int size() {
        return sandboxes.size();
    }

    /**
     * @return what was removed that no live owner held, without a dead owner's record to go with it: e.g.
     *     {@code lease netns0/10.89.0.7 of web1}, {@code rule netns:lab/sandbox/web1 of web1}
     */
    public List<String> removed() {
        return removed;
    }

    /**
     * @return what was left on purpose, each with the reason: sandboxes whose owner cannot be told dead
     *     (counted as alive), namespaces under a recorded name that are not the recorded namespace, veths
     *     whose sandbox cannot be told
     */
    public List<String> spared() {
        return spared;
    }
}
