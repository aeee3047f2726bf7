package io.berth.agent.network;

import io.berth.agent.os.Exec;
import io.berth.agent.os.Tools;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The namespace Berth creates task namespaces from. By default every network namespace shares the
 * host's TCP hash table (262,144 buckets here), so reading a task's {@code /proc/PID/net/tcp} — what the
 * port probe does every few milliseconds — walks all of it: ~7 ms of CPU per read. A namespace created
 * from one whose {@code net.ipv4.tcp_child_ehash_entries} is set gets a small table of its own, and
 * the read costs ~0.2 ms. The nursery has only a loopback, is never joined and never deleted.
 */
final class Nursery {
    private static final System.Logger LOG = System.getLogger(Nursery.class.getName());
    static final String NAME = "berth-nursery";
    private static final Path SYSCTL = Path.of("/proc/sys/net/ipv4/tcp_child_ehash_entries");
    /** Plenty for a task's services and their clients; the table is per namespace. */
    private static final int EHASH_ENTRIES = 1024;
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private static Boolean usable;

    /** The nursery to create task namespaces from, or null when there can be none. */
    static Path path() {
        return usable() ? Path.of("/run/netns", NAME) : null;
    }

    private static synchronized boolean usable() {
        if (usable == null) {
            usable = prepare();
        }
        return usable;
    }

    private static boolean prepare() {
        if (!Files.exists(SYSCTL)) {
            return false; // kernel older than 6.1: namespaces share the host's table
        }
        try {
            // `ip` also makes /run/netns a shared mount, so namespaces bound there later are seen everywhere
            if (!Files.exists(Path.of("/run/netns", NAME))) {
                Exec.Result add = Exec.run(List.of(Tools.IP, "netns", "add", NAME), TIMEOUT);
                if (!add.ok() && !add.output().contains("File exists")) {
                    throw new IOException(add.oneLine());
                }
            }
            Exec.Result set = Exec.run(List.of(Tools.NSENTER, "--net=/run/netns/" + NAME, "--", "/bin/sh", "-c",
                    "echo " + EHASH_ENTRIES + " > " + SYSCTL), TIMEOUT);
            if (!set.ok()) {
                throw new IOException(set.oneLine());
            }
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "no namespace nursery ({0}); task namespaces share the host's TCP table, "
                    + "which makes port probes slower", e.getMessage());
            return false;
        }
    }

    private Nursery() {}
}
