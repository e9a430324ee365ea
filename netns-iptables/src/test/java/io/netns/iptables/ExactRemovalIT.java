package io.netns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

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

    private long elementsOf(Owner o) throws Exception {
        return Nft.tagged(lab.host.path().toString(), "ip", o.tag()).size();
    }

    private long elements() throws Exception {
        return Nft.elements(lab.host.path().toString(), "ip").size();
    }

    private long rules() throws Exception {
        return Nft.rules(lab.host.path().toString(), "ip");
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
        assertEquals(1, elementsOf(second));
        fw.remove(lab.host, first); // made in a generation that is gone: read again, and none of it is left
        assertEquals(1, elementsOf(second), Leftovers.nat(lab.host.path().toString(), "ip"));
        assertEquals(Lab.CLIENT_IP, Lab.connect(lab.client, Lab.HOST_IP, 8081), "the second's port still works");
        fw.remove(lab.host, second);
        assertEquals(0, elementsOf(second));
    }

    @Test
    void theRulesAreTheSameWithOneAndAThousandPorts() throws Exception {
        lab.echoRemote(lab.sbx, "0.0.0.0", 80);
        Owner one = Owner.sandbox(lab.host.name(), "one");
        fw.publish(lab.host, one, Lab.BRIDGE, InetAddress.getByName(Lab.SBX_IP), ports(8080, 1));
        List<java.util.Map<String, Object>> withOne = Nft.objects(lab.host.path().toString(), "ip").stream()
                .filter(o -> o.containsKey("rule")).toList();
        Owner many = Owner.sandbox(lab.host.name(), "many");
        fw.publish(lab.host, many, Lab.BRIDGE, InetAddress.getByName(Lab.SBX2_IP), ports(20000, 1000));
        List<java.util.Map<String, Object>> withMany = Nft.objects(lab.host.path().toString(), "ip").stream()
                .filter(o -> o.containsKey("rule")).toList();
        assertEquals(9, withOne.size(), withOne.toString());
        assertEquals(withOne, withMany, "the same rules, handles included: nothing rewritten");
        assertEquals(1001, elements());
        assertEquals(1000, elementsOf(many), "every element carries its owner's tag");
        assertEquals(Lab.CLIENT_IP, Lab.connect(lab.client, Lab.HOST_IP, 8080));
        fw.remove(lab.host, many);
        fw.remove(lab.host, one);
        assertEquals(0, elements());
    }

    @Test
    void aThousandPortsOnOneSandbox() throws Exception {
        Owner web = Owner.sandbox(lab.host.name(), "web");
        lab.echoRemote(lab.sbx, "0.0.0.0", 80);
        long t0 = System.nanoTime();
        fw.publish(lab.host, web, Lab.BRIDGE, InetAddress.getByName(Lab.SBX_IP), ports(20000, 1000));
        System.out.printf("publish of 1,000 ports took %.0f ms%n", (System.nanoTime() - t0) / 1e6);
        assertEquals(1000, elementsOf(web));
        assertEquals(Lab.CLIENT_IP, Lab.connect(lab.client, Lab.HOST_IP, 20000));
        assertEquals(Lab.CLIENT_IP, Lab.connect(lab.client, Lab.HOST_IP, 20999));
        t0 = System.nanoTime();
        fw.remove(lab.host, web);
        System.out.printf("remove of 1,000 ports took %.0f ms%n", (System.nanoTime() - t0) / 1e6);
        assertEquals(0, elementsOf(web));
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
        assertEquals(10000, elements());
        assertEquals(9, rules(), "the 8 lookups and the localnet guard, whatever the number of ports");
        assertEquals(Lab.CLIENT_IP, Lab.connect(lab.client, Lab.HOST_IP, 39999));
        // one removed while the others live: every one of its rules goes, none of theirs
        fw.remove(lab.host, owners.get(3));
        assertEquals(0, elementsOf(owners.get(3)));
        assertEquals(1000, elementsOf(owners.get(4)));
        assertEquals(Lab.CLIENT_IP, Lab.connect(lab.client, Lab.HOST_IP, 34999), "the others' ports still work");
        assertNotEquals(Lab.Outcome.CONNECTED, Lab.attempt(lab.client, Lab.HOST_IP, 33999, 1000), "its ports do not");
        for (Owner o : owners) {
            fw.remove(lab.host, o);
        }
        assertEquals(0, elements());
        assertEquals(8, rules(), "the 8 lookups; the localnet guard went with the last element that needed it");
        assertFalse(Files.exists(PortClaims.DIR.resolve(lab.host.name())), "every claim released");
    }
}
