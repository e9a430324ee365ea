package io.netns.bench;

import io.netns.NetNamespace;
import io.netns.NetnsCallable;
import io.netns.NetnsException;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Two namespaces for the whole trial: {@link #other}, a fresh one made with {@link NetNamespace#create}, and
 * {@link #home}, the JVM's initial stack. Opened in {@code @Setup(Level.Trial)} so that no benchmark pays for
 * them; {@link #other} is deleted in {@code @TearDown}.
 */
@State(Scope.Benchmark)
public class BenchNamespaces {
    /** A namespace the benchmark thread is not in. */
    public NetNamespace other;
    /** The JVM's initial namespace, where JMH's threads live. */
    public NetNamespace home;
    /** Work that calls into {@link #other} again: a re-entry from inside, made once so no lambda is allocated per call. */
    public NetnsCallable<Integer, NetnsException> nestedWork;

    private final Undo undo = new Undo();

    @Setup
    public void open() throws Exception {
        try {
            other = undo.namespace(NetNamespace.create(Names.unique("sw")));
            home = undo.closing(NetNamespace.initial());
            nestedWork = () -> other.call(() -> 1);
        } catch (Exception | Error e) {
            throw undo.abort(e);
        }
    }

    @TearDown
    public void close() throws Exception {
        undo.run();
    }
}
