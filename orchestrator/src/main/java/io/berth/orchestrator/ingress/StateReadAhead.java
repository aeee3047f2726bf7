package io.berth.orchestrator.ingress;

import io.berth.orchestrator.state.TaskSnapshot;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every partition of {@code berth.orchestrator-state} read and decoded once, on a thread of its own, while the
 * instance joins its consumer group: a replacement for a killed instance waits there for the dead member's session
 * to time out, and that wait can hold most of the reading and decoding its first restore needs. The partitions it is
 * then assigned are taken ({@link #take}) and read on from where this pass stopped; the rest is dropped with the
 * first assignment. Held only that long: until then an instance holds the state of every task, not its share.
 */
final class StateReadAhead {
    private static final Logger LOG = LoggerFactory.getLogger(StateReadAhead.class);

    /** A partition's tasks as of {@code position} (the next offset to read). */
    record Partition(long position, Map<String, TaskSnapshot> tasks) {}

    private final CompletableFuture<Map<Integer, Partition>> read = new CompletableFuture<>();

    private StateReadAhead() {}

    static StateReadAhead start(String bootstrapServers, Duration timeout) {
        StateReadAhead ahead = new StateReadAhead();
        Thread thread = new Thread(() -> ahead.run(bootstrapServers, timeout), "berth-state-read-ahead");
        thread.setDaemon(true);
        thread.start();
        return ahead;
    }

    private void run(String bootstrapServers, Duration timeout) {
        try {
            long t0 = System.nanoTime();
            StateScan.Result scan = StateScan.read(bootstrapServers, null, timeout);
            long scanned = System.nanoTime();
            Map<String, TaskSnapshot> decoded = StateScan.decode(scan.newest().values());
            Map<Integer, Partition> partitions = new HashMap<>();
            scan.positions().forEach((p, position) -> partitions.put(p, new Partition(position, new LinkedHashMap<>())));
            scan.newest().forEach((task, record) -> {
                TaskSnapshot snapshot = decoded.get(task);
                if (snapshot != null) {
                    partitions.get(record.partition()).tasks().put(task, snapshot);
                }
            });
            LOG.info("state read ahead: {} record(s) of {} partition(s) read in {} ms, the newest of {} task(s) "
                    + "decoded in {} ms", scan.records(), partitions.size(), (scanned - t0) / 1_000_000,
                    decoded.size(), (System.nanoTime() - scanned) / 1_000_000);
            read.complete(partitions);
        } catch (RuntimeException e) {
            LOG.warn("reading the state ahead failed ({}); partitions are read when assigned", e.toString());
            read.complete(new HashMap<>());
        }
    }

    /**
     * What was read ahead of {@code partitions}, waiting for the pass at most {@code wait}; each partition is given
     * once. Empty when the pass failed, is not done in time, or was dropped.
     */
    Map<Integer, Partition> take(Collection<Integer> partitions, Duration wait) {
        Map<Integer, Partition> all;
        try {
            all = read.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Map.of();
        } catch (ExecutionException | TimeoutException e) {
            return Map.of();
        }
        Map<Integer, Partition> taken = new HashMap<>();
        synchronized (all) {
            for (Integer p : partitions) {
                Partition partition = all.remove(p);
                if (partition != null) {
                    taken.put(p, partition);
                }
            }
        }
        return taken;
    }

    /** Lets go of what no assignment took; a pass still running is left to finish unused. */
    void drop() {
        if (!read.complete(new HashMap<>())) {
            Map<Integer, Partition> all = read.join();
            synchronized (all) {
                all.clear();
            }
        }
    }
}
