package io.berth.orchestrator.ingress;

import io.berth.orchestrator.state.TaskSnapshot;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the tasks of some partitions of the compacted {@code berth.orchestrator-state} from the beginning to its
 * current end: the newest snapshot of every task id, tombstoned ones left out. Blocking. With {@link #readAhead()}
 * the first read starts from what a pass over every partition, begun when the instance started, already holds.
 */
public final class StateReader {
    private static final Logger LOG = LoggerFactory.getLogger(StateReader.class);
    private final String bootstrapServers;
    private volatile StateReadAhead ahead;

    /**
     * @param tasks   by task id
     * @param records the records read by this call (those read ahead not counted)
     */
    public record Read(Map<String, TaskSnapshot> tasks, long records) {}

    public StateReader(String bootstrapServers) {
        this(bootstrapServers, null);
    }

    StateReader(String bootstrapServers, StateReadAhead ahead) {
        this.bootstrapServers = bootstrapServers;
        this.ahead = ahead;
    }

    /** The partition of the task's records in every Berth topic (they share partition counts and keys). */
    public static int partitionOf(String taskId, int partitions) {
        return Utils.toPositive(Utils.murmur2(taskId.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    /**
     * Starts reading every partition now, on a thread of its own (see {@link StateReadAhead}); the partitions of the
     * next {@link #read} start from there. Until {@link #dropReadAhead()} this holds every task's state.
     */
    public StateReader readAhead(Duration timeout) {
        ahead = StateReadAhead.start(bootstrapServers, timeout);
        return this;
    }

    /** Lets go of what was read ahead and not taken by a {@link #read} (call once the first assignment is done). */
    public void dropReadAhead() {
        StateReadAhead a = ahead;
        ahead = null;
        if (a != null) {
            a.drop();
        }
    }

    /** The tasks of {@code partitions}; waits for the broker (and for a read ahead) as long as {@code timeout}. */
    public Read read(Collection<Integer> partitions, Duration timeout) {
        if (partitions.isEmpty()) {
            return new Read(new LinkedHashMap<>(), 0);
        }
        long t0 = System.nanoTime();
        StateReadAhead a = ahead;
        Map<Integer, StateReadAhead.Partition> readAhead = a == null ? Map.of() : a.take(partitions, timeout);
        Map<Integer, Long> from = new LinkedHashMap<>();
        Map<String, TaskSnapshot> tasks = new LinkedHashMap<>();
        for (Integer p : partitions) {
            StateReadAhead.Partition known = readAhead.get(p);
            from.put(p, known == null ? 0L : known.position());
            if (known != null) {
                tasks.putAll(known.tasks());
            }
        }
        long waited = System.nanoTime();
        StateScan.Result scan = StateScan.read(bootstrapServers, from, timeout);
        long read = System.nanoTime();
        scan.deleted().forEach(tasks::remove);
        tasks.putAll(StateScan.decode(scan.newest().values()));
        LOG.info("state of partitions {}: {} of them read ahead ({} ms waited for that), {} record(s) read in {} ms, "
                        + "the newest of {} task(s) decoded in {} ms; {} task(s)", partitions, readAhead.size(),
                (waited - t0) / 1_000_000, scan.records(), (read - waited) / 1_000_000, scan.newest().size(),
                (System.nanoTime() - read) / 1_000_000, tasks.size());
        return new Read(tasks, scan.records());
    }
}
