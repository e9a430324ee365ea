package io.netns.examples;

import io.netns.NetNamespace;
import io.netns.NetnsException;
import java.io.IOException;
import java.net.ServerSocket;

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
        System.out.println("bound port " + run("quickstart-" + ProcessHandle.current().pid()) + " inside a fresh namespace");
    }

    /**
     * @param name the namespace to make and remove
     * @return the port bound inside it
     * @throws NetnsException if the namespace cannot be made
     * @throws IOException if the socket cannot be bound
     */
    public static int run(String name) throws IOException {
        try (NetNamespace ns = NetNamespace.create(name)) {      // like `ip netns add`
            try {
                return ns.call(() -> {                            // this thread switches in ...
                    try (ServerSocket s = new ServerSocket(0)) {
                        return s.getLocalPort();
                    }
                });                                               // ... and back, even on an exception
            } finally {
                ns.delete();                                      // like `ip netns delete`
            }
        }
    }
}
