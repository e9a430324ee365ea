package io.netns.examples;

import io.netns.NetNamespace;
import io.netns.NetnsException;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

/** The README's first example: a namespace, a socket bound inside it, and back. */
public final class QuickStart {
    private QuickStart() {
    }

    /**
     * Creates {@code quickstart-<pid>}, binds a socket inside, deletes the namespace.
     *
     * @param args unused
     * @throws IOException if the machine cannot do this (not root, not Linux)
     */
    public static void main(String[] args) throws IOException {
        Bound b = run("quickstart-" + ProcessHandle.current().pid());
        System.out.println("bound port " + b.port() + " inside a fresh namespace (net:[" + b.socketNamespace() + "])");
    }

    /**
     * What {@link #run} bound.
     *
     * @param port the port of the socket
     * @param socketNamespace the inode of the network namespace the binding thread was in, read from
     *     {@code /proc/thread-self/ns/net} next to the socket
     * @param namespace the inode of the namespace {@link #run} made
     */
    public record Bound(int port, long socketNamespace, long namespace) {
    }

    /**
     * @param name the namespace to make and remove
     * @return the port bound inside it, with the namespace the binding thread was in
     * @throws NetnsException if the namespace cannot be made
     * @throws IOException if the socket cannot be bound
     */
    public static Bound run(String name) throws IOException {
        try (NetNamespace ns = NetNamespace.create(name)) {      // like `ip netns add`
            try {
                return ns.call(() -> {                            // this thread switches in ...
                    try (ServerSocket s = new ServerSocket(0)) {
                        String link = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
                        long inside = Long.parseLong(link.substring(5, link.length() - 1)); // net:[<inode>]
                        return new Bound(s.getLocalPort(), inside, ns.inode());
                    }
                });                                               // ... and back, even on an exception
            } finally {
                ns.delete();                                      // like `ip netns delete`
            }
        }
    }
}
