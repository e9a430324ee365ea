package io.netns.testing;

/** Runs iproute2 in tests, to check the library's work independently of its own reads. */
public final class Ip {
    private Ip() {
    }

    /**
     * Runs {@code ip args...} and returns its standard output; fails on a non-zero exit.
     *
     * @param args the arguments after {@code ip}
     * @return stdout
     */
    public static String run(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "ip";
        System.arraycopy(args, 0, all, 1, args.length);
        return Cmd.run(all);
    }

    /**
     * @param ns a namespace name
     * @param args what follows {@code ip -n ns}
     * @return stdout
     */
    public static String in(String ns, String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "-n";
        all[1] = ns;
        System.arraycopy(args, 0, all, 2, args.length);
        return run(all);
    }

    /**
     * Makes a namespace the way another program would, not through netns: {@code ip netns add name}, or,
     * rootless (where iproute2 cannot switch back to the initial namespace after making one), the same with
     * util-linux: an empty file under the namespace directory and {@code unshare --net=<file> true}.
     *
     * @param name the namespace's name
     */
    public static void netnsAdd(String name) {
        if (io.netns.Netns.mode() != io.netns.Netns.Mode.ROOTLESS) {
            run("netns", "add", name);
            return;
        }
        String file = io.netns.NetNamespace.directory().resolve(name).toString();
        Cmd.run("touch", file);
        Cmd.run("unshare", "--net=" + file, "true");
    }
}
