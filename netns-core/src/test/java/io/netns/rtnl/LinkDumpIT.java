package io.netns.rtnl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netns.NetNamespace;
import io.netns.NetlinkException;
import io.netns.testing.Ip;
import io.netns.testing.TestLab;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A dump far larger than any one datagram (thousands of links, several MiB) comes back whole: no
 * truncation, no lost or repeated link. Links are dummies where the kernel has the driver, else veth
 * pairs; deleting the namespace removes them all.
 */
class LinkDumpIT {
    private static final int LINKS = 5000;

    @RegisterExtension
    final TestLab testLab = new TestLab("rtdump");

    @Test
    void dumpOf5000LinksReturnsThemAll() throws Exception {
        String name = testLab.name("dump");
        try (NetNamespace lab = NetNamespace.create(name)) {
            try (RtnlClient rtnl = RtnlClient.open(lab)) {
                boolean dummy = true;
                try {
                    rtnl.addDummy("l0");
                } catch (NetlinkException e) {
                    dummy = false; // no CONFIG_DUMMY: pairs of veth make two links per message
                }
                long t0 = System.nanoTime();
                if (dummy) {
                    for (int i = 1; i < LINKS; i++) {
                        rtnl.addDummy("l" + i);
                    }
                } else {
                    for (int i = 0; i < LINKS; i += 2) {
                        rtnl.addVeth("l" + i, "l" + (i + 1), null);
                    }
                }
                long t1 = System.nanoTime();
                List<Link> links = rtnl.links();
                long t2 = System.nanoTime();
                System.out.printf("LinkDumpIT: created %d %s links in %d ms, dumped %d in %d ms%n", LINKS,
                        dummy ? "dummy" : "veth", (t1 - t0) / 1_000_000, links.size(), (t2 - t1) / 1_000_000);

                assertEquals(LINKS + 1, links.size(), "every link plus lo");
                Set<String> names = new HashSet<>();
                for (Link l : links) {
                    names.add(l.name());
                }
                assertEquals(LINKS + 1, names.size(), "no duplicates");
                for (int i = 0; i < LINKS; i++) {
                    assertEquals(true, names.contains("l" + i), "l" + i);
                }
                String ipCount = Ip.in(name, "-o", "link");
                assertEquals(LINKS + 1, ipCount.lines().count(), "ip agrees");
                assertEquals(LINKS + 1, rtnl.links().size(), "a second dump on the same socket");
            } finally {
                lab.delete();
            }
        }
    }
}
