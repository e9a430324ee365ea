package io.netns;

import io.netns.internal.Failures;
import io.netns.internal.OwnerRecord;
import io.netns.internal.cni.CniCache;
import io.netns.internal.cni.CniConfig;
import io.netns.internal.cni.CniRuntime;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Makes, checks and removes the CNI attachment of a {@link CniMode} sandbox, and reclaims and
 * garbage-collects attachments for {@link Host#reclaim()}. Plugins run as children started from a thread
 * switched into the host's namespace.
 */
final class CniSetup {
    /** Networks (per host namespace) whose plugins answered STATUS: it runs before the first ADD only. */
    private static final Set<String> STATUS_DONE = ConcurrentHashMap.newKeySet();
    /** GC runs alone: no ADD or DEL of this JVM meanwhile (spec section 3, "Lifecycle and ordering"). */
    private static final ReadWriteLock GC_LOCK = new ReentrantReadWriteLock();

    private CniSetup() {
    }

    /** A configuration loaded and its version chosen: everything checked before anything is made. */
    record Prepared(CniConfig config, CniRuntime runtime, String version) {
    }

    /** A live attachment: what {@link Sandbox#check()} and {@link Sandbox#cniResult()} use. */
    record Attached(Path cacheFile, CniConfig config, CniRuntime runtime, String version,
            CniRuntime.Attachment attachment, Map<String, Object> rawResult, CniResult result) {
    }

    /**
     * Loads the configuration, finds every plugin, chooses the version (VERSION) and, for spec 1.1, asks
     * STATUS once per host and network. Nothing is made yet.
     */
    static Prepared prepare(Host host, CniMode mode) throws NetnsException {
        CniConfig config = mode.file() != null ? CniConfig.fromFile(mode.file())
                : CniConfig.load(mode.confDir(), mode.networkName());
        CniRuntime runtime = runtime(host, mode.pluginDirs(), mode.timeout());
        String version = runtime.negotiate(config);
        String key = host.namespace().inode() + "|" + config.source() + "|" + config.name() + "|" + version;
        if (!STATUS_DONE.contains(key)) {
            runtime.status(config, version);
            STATUS_DONE.add(key);
        }
        return new Prepared(config, runtime, version);
    }

    static CniRuntime runtime(Host host, List<Path> pluginDirs, Duration timeout) {
        NetNamespace hostNs = host.namespace();
        return new CniRuntime(pluginDirs, timeout, pb -> {
            Reapers.ensureIdleAtHome(); // so the JDK's reaper of the plugin is not born in the host's namespace
            return hostNs.call(() -> {
                try {
                    return pb.start();
                } catch (java.io.IOException e) {
                    throw NetnsException.wrap("start CNI plugin " + pb.command().get(0) + " in " + host, e);
                }
            });
        });
    }

    /**
     * ADD for a namespace just made. The owner record names the cache entry, the entry is written (so a crash
     * during ADD leaves what {@code reclaim()} needs), then ADD runs (after a failure the runtime has run DEL already), then the
     * entry is written again with the result, and the DEL step is pushed.
     */
    static Attached attach(Host host, String name, CniMode mode, Prepared p, NetNamespace ns, OwnerRecord record,
            Cleanup cleanup) throws NetnsException {
        CniRuntime.Attachment a = new CniRuntime.Attachment(name, ns.path().toString(), mode.ifName(), mode.args(),
                mode.capabilityArgs());
        Path file = CniCache.file(p.config().name(), name, mode.ifName());
        CniCache.Entry pending = new CniCache.Entry(file, p.config(), p.version(), mode.pluginDirs(),
                mode.timeout().toMillis(), host.id(), a, null);
        // The record names the entry before the entry exists: a reclaim() elsewhere never takes a live
        // sandbox's fresh entry for an orphan, and a crash in between leaves a name that points at nothing.
        record.put("cni", file.toString());
        cleanup.push("cni cache " + file, () -> CniCache.remove(file));
        CniCache.write(pending);
        Map<String, Object> result;
        GC_LOCK.readLock().lock();
        try {
            result = p.runtime().add(p.config(), p.version(), a);
        } finally {
            GC_LOCK.readLock().unlock();
        }
        cleanup.push("cni attachment " + p.config().name() + " of " + name, () -> del(host, file));
        CniResult r;
        try {
            r = CniResult.of(result);
        } catch (IllegalArgumentException e) {
            throw NetnsException.failure("cni result", "CNI network " + p.config().name() + ": the final ADD result "
                    + "is malformed: " + e.getMessage());
        }
        CniCache.write(new CniCache.Entry(file, p.config(), p.version(), mode.pluginDirs(), mode.timeout().toMillis(),
                host.id(), a, result));
        return new Attached(file, p.config(), p.runtime(), p.version(), a, result, r);
    }

    /** DEL with the cached entry, then the entry goes; nothing when there is no entry. */
    static void del(Host host, Path file) throws NetnsException {
        CniCache.Entry e = CniCache.read(file);
        if (e == null) {
            return;
        }
        GC_LOCK.readLock().lock();
        try {
            runtime(host, e.pluginDirs(), Duration.ofMillis(e.timeoutMillis())).del(e.config(), e.version(),
                    e.attachment(), e.result());
        } finally {
            GC_LOCK.readLock().unlock();
        }
        CniCache.remove(file);
    }

    /** CHECK of a live attachment; false when its version or configuration rules CHECK out. */
    static boolean check(Attached a) throws NetnsException {
        GC_LOCK.readLock().lock();
        try {
            return a.runtime().check(a.config(), a.version(), a.attachment(), a.rawResult());
        } finally {
            GC_LOCK.readLock().unlock();
        }
    }

    /**
     * DEL for a dead owner's attachment, before its namespace goes.
     *
     * @param networks where the attachment's network is noted, for {@link #collect}'s GC
     */
    static void reclaim(Host host, OwnerRecord r, Map<String, CniCache.Entry> networks) throws NetnsException {
        if (r.get("cni") != null) {
            Path file = Path.of(r.get("cni"));
            CniCache.Entry e = CniCache.read(file);
            if (e != null) {
                networks.put(e.config().name(), e);
            }
            del(host, file);
        }
    }

    /**
     * After the dead owners' sandboxes are gone: DEL for cache entries of this host that no owner record
     * names (a crash between steps), then GC (spec 1.1, unless {@code disableGC}) of every
     * network with entries of this host (or reclaimed just now), told the attachments of the live sandboxes.
     */
    static void collect(Host host, Map<String, CniCache.Entry> networks, Failures failures) {
        List<CniCache.Entry> live = new ArrayList<>();
        for (Path f : CniCache.all()) {
            CniCache.Entry e;
            try {
                e = CniCache.read(f);
            } catch (NetnsException x) {
                failures.add(x);
                continue;
            }
            if (e == null || !host.id().equals(e.host())) {
                continue;
            }
            networks.put(e.config().name(), e);
            OwnerRecord owner = OwnerRecord.read(e.attachment().containerId());
            if (owner == null || !f.toString().equals(owner.get("cni"))) {
                failures.run(() -> del(host, f)); // no record names it: a crash between two steps
            } else if (owner.liveness() != OwnerRecord.Liveness.DEAD) {
                live.add(e); // alive, or cannot be told: counts as alive; a dead one is undone by reclaim()
            }
        }
        for (CniCache.Entry n : networks.values()) {
            List<String[]> valid = new ArrayList<>();
            for (CniCache.Entry e : live) {
                if (e.config().name().equals(n.config().name())) {
                    valid.add(new String[] {e.attachment().containerId(), e.attachment().ifName()});
                }
            }
            failures.run(() -> {
                GC_LOCK.writeLock().lock();
                try {
                    runtime(host, n.pluginDirs(), Duration.ofMillis(n.timeoutMillis())).gc(n.config(), n.version(), valid);
                } finally {
                    GC_LOCK.writeLock().unlock();
                }
            });
        }
    }
}
