package io.netns.bench;

import io.netns.planner.ListenRequest;
import io.netns.planner.ListenerPlan;
import io.netns.planner.ListenerPlanner;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The listener planner as a pure function: 100, 1,000 and 10,000 requests over 64 host addresses, in
 * microseconds. No system call, no namespace: inputs are made in {@code @Setup} into non-final fields, and the
 * benchmark is the whole {@code create() ... plan()} (the planner's builder is part of its API cost).
 *
 * <p>The request mix is fixed (deterministic, so runs compare), a quarter each: a fixed port the planner
 * places on some address (most of them collide past 64, so the explanation path is exercised too), a port
 * range, any unprivileged port, and a required address with a range. There is no baseline: nothing else
 * plans listeners; what matters is the growth from 100 to 10,000 (linear is fair, quadratic is a bug).
 */
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class PlannerBenchmark extends AbstractNetnsBenchmark {
    @Param({"100", "1000", "10000"})
    public int requests;

    @Param({"64"})
    public int addresses;

    private String[] hostAddresses;
    private ListenRequest[] requestList;

    @Setup
    public void inputs() {
        hostAddresses = new String[addresses];
        for (int i = 0; i < addresses; i++) {
            hostAddresses[i] = "10.20." + (30 + i / 250) + "." + (1 + i % 250);
        }
        requestList = new ListenRequest[requests];
        for (int i = 0; i < requests; i++) {
            String name = "svc" + i;
            switch (i % 4) {
                case 0:
                    requestList[i] = ListenRequest.tcp(name, 80 + (i / 4) % 16);
                    break;
                case 1:
                    requestList[i] = ListenRequest.tcp(name, 8000, 8999);
                    break;
                case 2:
                    requestList[i] = ListenRequest.tcp(name).capNetBindService(false);
                    break;
                default:
                    requestList[i] = ListenRequest.tcp(name, 20000, 29999).require(hostAddresses[i % addresses]);
                    break;
            }
        }
    }

    @Benchmark
    public ListenerPlan plan() {
        ListenerPlanner p = ListenerPlanner.create();
        for (String a : hostAddresses) {
            p = p.hostAddress("eth0", a);
        }
        p = p.hostAddress("lo", "127.0.0.1").existing("tcp LISTEN 0.0.0.0:22");
        for (ListenRequest r : requestList) {
            p = p.request(r);
        }
        return p.plan();
    }
}
