package io.netns;

/** {@code none}: a fresh, persisted namespace with {@code lo} up and nothing else. See {@link NetworkMode#none()}. */
public final class NoneMode implements NetworkMode {
    static final NoneMode INSTANCE = new NoneMode();

    private NoneMode() {
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
