package io.netns.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Defaults every netns benchmark shares, in the shape of netty's {@code AbstractMicrobenchmarkBase}: two
 * forks, five warm-up and five measured iterations of one second, average time. Subclasses override what
 * differs (time unit, mode); the command line ({@code -f -wi -i -w -r}) overrides everything, which is how
 * {@code run.sh --smoke} makes a pass short.
 *
 * <p>Every benchmark that makes something persistent (a namespace under {@code /run/netns}, a sandbox) names
 * it with the {@code bench-} prefix and {@link Names#unique} so that parallel forks never collide, and removes
 * it in its {@code @TearDown}; {@code run.sh} fails the run when {@code ip netns list} still shows one.
 */
@Fork(value = 2, jvmArgsAppend = {"-Xms512m", "-Xmx512m", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public abstract class AbstractNetnsBenchmark {
}
