package io.netns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netns.Firewall.Owner;
import io.netns.Protocol;
import io.netns.testing.TestLab;
import io.netns.PublishedPort;
import java.net.InetAddress;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 12 items 3 and 5: a rule is deleted only while it carries the owner's tag (handles start again
 * when the table is made anew), and large publications (1,000 ports on one sandbox, 10,000 on one host)
 * are made in batches within the kernel's limits and removed completely.
 */
@Timeout(300)
class ExactRemovalIT {
    @RegisterExtension
    final TestLab testLab = new TestLab("iptexact");
    private Lab lab;
    private IptablesFirewall fw;

    @BeforeEach
    void setUp() throws Exception {
        lab = new Lab(testLab);
        lab.start();
        fw = new IptablesFirewall();
        fw.addNetwork(lab.host, Owner.network(lab.host.name(), Lab.BRIDGE), Lab.BRIDGE, Lab.SUBNET);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (lab != null) {
            io.netns.internal.StateDir.delete(Localnet.file(lab.host.name()));
            lab.close();
        }
    }

    private long rulesOf(Owner o) throws Exception {
        return Leftovers.nat(lab.host.path().toString(), "ip").lines().filter(l -> l.contains("\"" + o.tag() + "\"")).count();
    }

    private static List<PublishedPort> ports(int from, int n) {
        List<PublishedPort> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new PublishedPort(Protocol.TCP, null, from + i, 80));
        }
        return out;
    }

    @Test
    void aTableMadeAnewUnderALiveSandboxDoesNotCostAnotherItsRules() throws Exception {
        Owner first = Owner.sandbox(lab.host.name(), "first");
        Owner second = Owner.sandbox(lab.host.name(), "second");
        lab.echoRemote(lab.sbx2, "0.0.0.0", 80);
        fw.publish(lab.host, first, Lab.BRIDGE, InetAddress.getByName(Lab.SBX_IP), ports(8080, 1));
        Lab.exec(lab.host, "nft", "delete", "table", "ip", NatTable.TABLE); // under the live sandbox
        fw.publish(lab.host, second, Lab.BRIDGE, InetAddress.getByName(Lab.SBX2_IP), ports(8081, 1));
        assertEquals(2, rulesOf(second));
        fw.remove(lab.host, first); // its handles are the second's now
        assertEquals(2, rulesOf(second), Leftovers.nat(lab.host.path().toString(), "ip"));
        assertEquals(Lab.CLIENT_IP, Lab.connect(lab.client, Lab.HOST_IP, 8081), "the second's port still works");
        fw.remove(lab.host, second);
        assertEquals(0, rulesOf(second));
    }

    @Test
    void aThousandPortsOnOneSandbox() throws Exception {
        Owner web = Owner.sandbox(lab.host.name(), "web");
        lab.echoRemote(lab.sbx, "0.0.0.0", 80);
        long t0 = System.nanoTime();
        fw.publish(lab.host, web, Lab.BRIDGE, InetAddress.getByName(Lab.SBX_IP), ports(20000, 1000));
        System.out.printf("publish of 1,000 ports took %.0f ms%n", (System.nanoTime() - t0) / 1e6);
        assertEquals(2000, rulesOf(web));
        assertEquals(Lab.CLIENT_IP, Lab.connect(lab.client, Lab.HOST_IP, 20000));
        assertEquals(Lab.CLIENT_IP, Lab.connect(lab.client, Lab.HOST_IP, 20999));
        t0 = System.nanoTime();
        fw.remove(lab.host, web);
        System.out.printf("remove of 1,000 ports took %.0f ms%n", (System.nanoTime() - t0) / 1e6);
        assertEquals(0, rulesOf(web));
        assertFalse(Files.exists(PortClaims.DIR.resolve(lab.host.name()).resolve("tcp-20000")), "claims released");
        assertFalse((Lab.attempt(lab.client, Lab.HOST_IP, 20999, 1000) == Lab.Outcome.CONNECTED));
    }

    @Test
    void tenThousandPortsOnOneHost() throws Exception {
        List<Owner> owners = new ArrayList<>();
        lab.echoRemote(lab.sbx, "0.0.0.0", 80);
        long t0 = System.nanoTime();
        for (int k = 0; k < 10; k++) {
            Owner o = Owner.sandbox(lab.host.name(), "s" + k);
            owners.add(o);
            fw.publish(lab.host, o, Lab.BRIDGE, InetAddress.getByName(Lab.SBX_IP), ports(30000 + 1000 * k, 1000));
        }
        System.out.printf("publish of 10 x 1,000 ports took %.0f ms%n", (System.nanoTime() - t0) / 1e6);
        long total = Leftovers.nat(lab.host.path().toString(), "ip").lines().filter(l -> l.contains("dnat to")).count();
        assertEquals(20000, total);
        assertEquals(Lab.CLIENT_IP, Lab.connect(lab.client, Lab.HOST_IP, 39999));
        // one removed while the others live: every one of its rules goes, none of theirs
        fw.remove(lab.host, owners.get(3));
        assertEquals(0, rulesOf(owners.get(3)));
        assertEquals(2000, rulesOf(owners.get(4)));
        for (Owner o : owners) {
            fw.remove(lab.host, o);
        }
        assertEquals(0, Leftovers.nat(lab.host.path().toString(), "ip").lines().filter(l -> l.contains("dnat to")).count());
    }
}
