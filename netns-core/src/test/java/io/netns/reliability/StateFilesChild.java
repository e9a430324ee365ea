package io.netns.reliability;

import io.netns.Host;
import io.netns.NetworkMode;
import io.netns.Sandbox;
import io.netns.internal.StateDir;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Run by {@link StateFilesIT} under {@code umask 000}: makes a lab host and a bridge sandbox in it, prints
 * the permissions of every state file and directory that made, then closes everything.
 */
public final class StateFilesChild {
    private StateFilesChild() {
    }

    /** @param args the test's prefix */
    public static void main(String[] args) throws Exception {
        String p = args[0];
        Path control = Files.createDirectory(Path.of("/tmp", p + "umask"));
        print("control", control);
        Files.delete(control);
        try (Host lab = Host.createLab(p + "lab")) {
            try (Sandbox s = lab.create(p + "b", NetworkMode.bridge())) {
                print("record", StateDir.path("sandboxes", p + "b"));
                print("hostdir", StateDir.path("ipam", p + "lab"));
                print("netdir", StateDir.path("ipam", p + "lab", "netns0"));
                print("lease", StateDir.path("ipam", p + "lab", "netns0", s.addresses().get(0).getHostAddress()));
            }
        }
        System.out.println("done");
    }

    private static void print(String what, Path p) throws Exception {
        System.out.println(what + " " + PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS)));
    }
}
