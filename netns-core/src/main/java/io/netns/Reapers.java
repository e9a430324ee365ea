package io.netns;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The JDK's "process reaper" threads, which wait for child processes. The JDK starts one, when none is idle,
 * on the thread that calls {@link ProcessBuilder#start()}; for {@link Sandbox#start} that thread is switched
 * into the sandbox, so a reaper started then would be born inside and keep the namespace alive until its
 * child exits plus the JDK's idle time of 60 s. So before such a start, when no reaper is idle, one is made
 * idle from the initial namespace: a home thread runs {@code true} and waits for it. Best effort: a start
 * racing with another start may still get a reaper born inside.
 */
final class Reapers {
    private static final String NAME = "process reaper";
    private static final ThreadFactory HOME = Netns.homeThreads("netns-reaper-warmup");
    private static final Path TRUE = Files.isExecutable(Path.of("/bin/true")) ? Path.of("/bin/true") : Path.of("/usr/bin/true");

    private Reapers() {
    }

    /** Makes sure an idle reaper born in the initial namespace is waiting; returns at once when one is. */
    static void ensureIdleAtHome() {
        if (idle() > 0 || !Files.isExecutable(TRUE)) {
            return;
        }
        Thread t = HOME.newThread(() -> {
            try {
                Process p = new ProcessBuilder(TRUE.toString()).start();
                p.waitFor(5, TimeUnit.SECONDS);
            } catch (IOException e) {
                // no reaper warmed: the start goes on as before
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        try {
            t.join(5000);
            // the reaper returns to its pool just after the child's exit is reported: wait for it briefly
            for (int i = 0; i < 50 && idle() == 0; i++) {
                Thread.sleep(1);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** @return how many reaper threads wait for work now */
    static int idle() {
        ThreadGroup root = Thread.currentThread().getThreadGroup();
        while (root.getParent() != null) {
            root = root.getParent();
        }
        Thread[] all = new Thread[root.activeCount() + 16];
        int n = root.enumerate(all, true);
        int idle = 0;
        for (int i = 0; i < n; i++) {
            if (NAME.equals(all[i].getName()) && all[i].getState() == Thread.State.TIMED_WAITING) {
                idle++;
            }
        }
        return idle;
    }
}
