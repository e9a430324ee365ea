package io.netns.rtnl;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.NetNamespace;
import io.netns.testing.Ip;
import io.netns.testing.TestLab;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Informal timing of the bridge-sandbox wiring (not a benchmark; JMH lives in netns-bench): in a lab
 * "host" namespace with a bridge, for each sandbox namespace: open a client inside it, veth with the
 * peer created inside the sandbox, master, up, address, lo up, eth0 up, default route. Namespace
 * creation is not timed. Prints the median and checks the result with {@code ip}.
 */
class BridgeSequenceIT {
    private static final int ROUNDS = 30;
    private static final String[] STEPS = {"open", "veth", "master", "up", "lo", "addr", "eth0up", "route"};
    private final long[][] steps = new long[ROUNDS][STEPS.length];
    private long last;

    @RegisterExtension
    final TestLab lab = new TestLab("rtseq");

    private void step(int round, int k) {
        long now = System.nanoTime();
        steps[round][k] = now - last;
        last = now;
    }

    @Test
    void wireSandboxesToABridge() throws Exception {
        List<NetNamespace> sandboxes = new ArrayList<>();
        NetNamespace host = NetNamespace.create(lab.name("host"));
        long[] nanos = new long[ROUNDS];
        try (RtnlClient h = RtnlClient.open(host)) {
            h.addBridge("br0");
            h.addAddress("br0", InetAddress.getByName("10.89.0.1"), 24);
            h.setUp("br0");
            InetAddress gw = InetAddress.getByName("10.89.0.1");
            // Warm the engine up (JIT, jnr stubs) the way a long-running orchestrator would be: the
            // request/receive path is shared by every operation.
            for (int i = 0; i < 5000; i++) {
                h.link("br0");
            }
            for (int i = 0; i < 300; i++) {
                RtnlClient.open(host).close();
            }
            for (int i = 0; i < ROUNDS; i++) {
                NetNamespace sb = NetNamespace.create(lab.name("sb" + i));
                sandboxes.add(sb);
                InetAddress ip = InetAddress.getByName("10.89.0." + (i + 2));
                String vh = "vh" + i;
                long t0 = System.nanoTime();
                last = t0;
                try (RtnlClient in = RtnlClient.open(sb)) {
                    steps[i][0] = System.nanoTime() - t0;
                    last = System.nanoTime();
                    h.addVeth(vh, "eth0", sb);
                    step(i, 1);
                    h.setMaster(vh, "br0");
                    step(i, 2);
                    h.setUp(vh);
                    step(i, 3);
                    in.setUp("lo");
                    step(i, 4);
                    in.addAddress("eth0", ip, 24);
                    step(i, 5);
                    in.setUp("eth0");
                    step(i, 6);
                    in.addDefaultRoute(gw);
                    step(i, 7);
                }
                nanos[i] = System.nanoTime() - t0;
            }
            long[] sorted = nanos.clone();
            Arrays.sort(sorted);
            System.out.printf("BridgeSequenceIT: sandbox wiring over %d rounds: median %.3f ms, min %.3f ms,"
                    + " first %.3f ms (after warm-up; informal, shared 2-core VM)%n", ROUNDS, sorted[ROUNDS / 2] / 1e6, sorted[0] / 1e6, nanos[0] / 1e6);

            StringBuilder sb = new StringBuilder("BridgeSequenceIT: median per step (us):");
            for (int k = 0; k < STEPS.length; k++) {
                long[] col = new long[ROUNDS];
                for (int r = 0; r < ROUNDS; r++) {
                    col[r] = steps[r][k];
                }
                Arrays.sort(col);
                sb.append(' ').append(STEPS[k]).append('=').append(col[ROUNDS / 2] / 1000);
            }
            System.out.println(sb);

            String last = sandboxes.get(ROUNDS - 1).name();
            assertTrue(Ip.in(last, "-o", "addr", "show", "eth0").contains("10.89.0." + (ROUNDS + 1) + "/24"));
            assertTrue(Ip.in(last, "-o", "route").contains("default via 10.89.0.1 dev eth0"));
            assertTrue(Ip.in(host.name(), "-o", "link", "show", "vh0").contains("master br0"));
        } finally {
            for (NetNamespace sb : sandboxes) {
                sb.delete();
                sb.close();
            }
            host.delete();
            host.close();
        }
    }
}
