package io.netns.iptables;

import io.netns.Host;
import io.netns.NetworkMode;
import io.netns.Sandbox;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Run by {@link PinnedThreadsIT} in a fresh JVM: starts the JVM's first process in sandbox {@code b},
 * publishes a port for the first time from a thread inside sandbox {@code a} (so every helper thread of
 * netns is started then), closes everything, and prints {@code IN <sandbox> <thread>} for every thread of the JVM that
 * is still in the namespace of a closed sandbox (from {@code /proc/self/task/*}/ns/net), then {@code DONE}.
 */
public final class PinnedThreadsChild {
    private PinnedThreadsChild() {
    }

    public static void main(String[] args) throws Exception {
        String p = args[0];
        int port = Integer.parseInt(args[1]);
        try (Host lab = Host.createLab(p + "lab")) {
            Sandbox a = lab.create(p + "a", NetworkMode.none());
            Sandbox b = lab.create(p + "b", NetworkMode.none());
            // the JVM's first child process: no reaper thread exists yet
            Process sleeper = b.start(new ProcessBuilder("sleep", "30"));
            Sandbox web = a.call(() -> lab.create(p + "web", NetworkMode.bridge().publish(port, 80)));
            Map<Long, String> closed = Map.of(a.namespace().inode(), "a", b.namespace().inode(), "b",
                    web.namespace().inode(), "web");
            web.close();
            b.close();
            if (sleeper.isAlive()) {
                System.out.println("the sandbox's process survived its close");
            }
            a.close();
            try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
                for (Path t : tasks.toList()) {
                    String link;
                    try {
                        link = Files.readSymbolicLink(t.resolve("ns/net")).toString();
                    } catch (java.io.IOException ended) {
                        continue;
                    }
                    long ino = Long.parseLong(link.replaceAll("\\D", ""));
                    if (closed.containsKey(ino)) {
                        System.out.println("IN " + closed.get(ino) + " " + Files.readString(t.resolve("comm")).strip());
                    }
                }
            }
        }
        System.out.println("DONE");
    }
}
