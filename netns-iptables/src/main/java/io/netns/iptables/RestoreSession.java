package io.netns.iptables;

import io.netns.Netns;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Internal use only: one long-lived {@code iptables-restore --noflush --verbose} in a namespace, fed
 * transaction by transaction on its stdin.
 *
 * <h2>Why</h2>
 * Starting the tool costs a few milliseconds, and with the nf_tables backend each run that deletes a rule
 * also waits, when it closes its netlink socket, for the kernel to free the deleted rules (an RCU grace
 * period, 10–20 ms here). A session pays both once, not per change.
 *
 * <h2>How a transaction's outcome is known</h2>
 * The nf_tables {@code iptables-restore} applies each {@code COMMIT} as soon as it reads it, and on a
 * refused line prints {@code line N failed} and exits non-zero. With {@code --verbose} it echoes comment
 * lines to stdout in input order. Each transaction is followed by the comment {@code # netns-mark <n>}: when
 * that line comes back, every line before it was read and applied; when the output ends first, the tool
 * refused the transaction and its exit code and message say why (line numbers are made relative to the
 * transaction). Another process changing the ruleset in between does not confuse it: the tool sends each
 * batch with the generation it read and refetches when the kernel says it changed.
 *
 * <h2>Trade-off</h2>
 * The process holds a reference to its namespace: a namespace deleted while its session is idle lingers
 * until the session ends, {@link Idle#MILLIS} after its last transaction (or when the JVM exits: the tool
 * ends on the end of its input). Used only with the nf_tables backend: the legacy one holds the xtables
 * lock, which other programs wait for, and its output is not the same.
 */
final class RestoreSession {
    private static final String MARK = "# netns-mark ";
    private static final String EOF = new String("EOF"); // identity-compared sentinel
    private static final Pattern FAILED_LINE = Pattern.compile("line (\\d+) failed");

    /** What became of a transaction. */
    enum Outcome {
        /** Read and committed. */
        APPLIED,
        /** Refused, or the tool failed: see {@link #failureText()}. */
        FAILED,
        /** The session had ended before the transaction was written: nothing of it was applied. */
        STALE
    }

    private final String name;
    private final Process process;
    private final OutputStream in;
    private final BlockingQueue<String> out = new LinkedBlockingQueue<>();
    private final StringBuilder failure = new StringBuilder();
    private final Map<String, RestoreSession> registry;
    private final String key;
    private final ScheduledFuture<?> idleCheck;
    private final long timeoutNanos;
    private final String timeoutText;
    private boolean open = true;
    private long linesWritten;
    private long marks;
    private long lastUse = System.nanoTime();
    private int exit = -1;

    /**
     * @param timeoutNanos the time limit of one transaction, its write included
     * @param timeoutText the same, for messages
     */
    RestoreSession(String name, Process process, Map<String, RestoreSession> registry, String key, long timeoutNanos,
            String timeoutText) {
        this.name = name;
        this.timeoutNanos = timeoutNanos;
        this.timeoutText = timeoutText;
        this.process = process;
        this.in = process.getOutputStream();
        this.registry = registry;
        this.key = key;
        Netns.homeThreads("netns-iptables-session").newThread(this::read).start(); // born outside any sandbox
        this.idleCheck = Idle.every(this::closeIfIdle);
    }

    private void read() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                out.add(line);
            }
        } catch (IOException e) {
            out.add("(output unreadable: " + e.getMessage() + ")");
        } finally {
            out.add(EOF);
        }
    }

    synchronized boolean isOpen() {
        return open;
    }

    /**
     * Writes one transaction and waits for its outcome.
     *
     * @param input the restore input, whole tables each ending in {@code COMMIT}
     * @return the outcome
     */
    synchronized Outcome apply(String input) {
        if (!open) {
            return Outcome.STALE;
        }
        long offset = linesWritten;
        String mark = MARK + (++marks);
        String text = (input.endsWith("\n") ? input : input + "\n") + mark + "\n";
        failure.setLength(0);
        long deadline = System.nanoTime() + timeoutNanos;
        // The write is bounded too: a tool that stopped reading would fill the pipe and block it forever.
        // Killing the tool at the deadline makes a blocked write fail.
        java.util.concurrent.atomic.AtomicBoolean expired = new java.util.concurrent.atomic.AtomicBoolean();
        ScheduledFuture<?> watchdog = Idle.after(() -> {
            expired.set(true);
            Iptables.kill(process);
        }, timeoutNanos);
        try {
            in.write(text.getBytes(StandardCharsets.UTF_8));
            in.flush();
            linesWritten += text.chars().filter(c -> c == '\n').count();
            while (true) {
                String line = out.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (line == null || expired.get() && line == EOF) {
                    return expired(failure.toString().strip());
                }
                if (line == EOF) {
                    end();
                    exit = process.waitFor(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)
                            ? process.exitValue() : -1;
                    failure.replace(0, failure.length(), relative(failure.toString().strip(), offset));
                    return Outcome.FAILED;
                }
                if (line.equals(mark)) {
                    lastUse = System.nanoTime();
                    return Outcome.APPLIED;
                }
                if (!line.startsWith("#")) {
                    failure.append(line).append(' ');
                }
            }
        } catch (IOException e) {
            if (expired.get()) {
                return expired(failure.toString().strip());
            }
            end();
            Iptables.kill(process);
            failure.append(name).append(" stopped reading its input: ").append(e.getMessage());
            return Outcome.FAILED;
        } catch (InterruptedException e) {
            end();
            Iptables.kill(process);
            Thread.currentThread().interrupt();
            failure.append(name).append(" was interrupted; killed it");
            return Outcome.FAILED;
        } finally {
            watchdog.cancel(false);
        }
    }

    /** The transaction ran out of time: the tool is killed, the failure quotes what it printed. */
    private Outcome expired(String printed) {
        end();
        Iptables.kill(process);
        failure.setLength(0);
        failure.append(name).append(" did not answer within ").append(timeoutText).append(" (")
                .append(Iptables.TIMEOUT_PROPERTY).append("); killed it")
                .append(printed.isEmpty() ? ", it printed nothing" : "; it printed: " + printed);
        return Outcome.FAILED;
    }

    /** The tool's line numbers count from the session's start; the caller's from its transaction. */
    private static String relative(String text, long offset) {
        Matcher m = FAILED_LINE.matcher(text);
        if (!m.find()) {
            return text;
        }
        long n = Long.parseLong(m.group(1)) - offset;
        return text.substring(0, m.start(1)) + n + text.substring(m.end(1));
    }

    /** @return the exit code after a failure, -1 when unknown */
    synchronized int exitCode() {
        return exit;
    }

    /** @return what the tool printed about the failed transaction */
    synchronized String failureText() {
        return failure.toString();
    }

    private synchronized void closeIfIdle() {
        if (open && Idle.expired(lastUse, System.nanoTime())) {
            end();
        }
    }

    /** Closes the input (the tool ends on its own) and forgets the session. */
    private void end() {
        if (!open) {
            return;
        }
        open = false;
        idleCheck.cancel(false);
        registry.remove(key, this);
        try {
            in.close();
        } catch (IOException ignored) {
            // the tool is gone already
        }
    }
}
