package io.netns.reliability;

import io.netns.NetNamespace;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * Run by {@link ThreadsIT} in a fresh JVM: where {@link ForkJoinPool#commonPool()} runs tasks when its
 * first worker is spawned by a submission made inside a call. Prints {@code key=value} lines.
 */
public final class CommonPoolChild {
    private CommonPoolChild() {
    }

    public static void main(String[] args) throws Exception {
        try (NetNamespace ns = NetNamespace.open(args[0])) {
            ForkJoinPool common = ForkJoinPool.commonPool();
            System.out.println("home=" + Proc.threadNetInode());
            System.out.println("ns=" + ns.inode());
            System.out.println("parallelism=" + common.getParallelism());
            System.out.println("workersBefore=" + common.getPoolSize());
            long inside = ns.call(() -> common.submit(Proc::threadNetInode).get(10, TimeUnit.SECONDS));
            System.out.println("submittedInside=" + inside);
            System.out.println("workersAfter=" + common.getPoolSize());
            long later = common.submit(Proc::threadNetInode).get(10, TimeUnit.SECONDS);
            System.out.println("submittedOutsideLater=" + later);
            // a parallel stream's work outside the caller thread runs on the same worker
            long other = IntStream.range(0, 64).parallel().mapToLong(i -> Thread.currentThread()
                    .getName().startsWith("ForkJoinPool.commonPool") ? Proc.threadNetInode() : -1).max().orElse(-1);
            System.out.println("parallelStreamLater=" + other);
            System.out.println("callerStillHome=" + Proc.threadNetInode());
        }
    }
}
