package io.berth.orchestrator.ingress;

import java.util.HashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.apache.kafka.common.TopicPartition;

/**
 * What the ingress remembers about records it has read but not yet committed, so that reading a batch again
 * (after a failure) neither wedges the partition nor repeats itself:
 * <ul>
 *   <li>how often handling a record failed with an error that retrying cannot cure (Kafka's non-retriable errors,
 *       e.g. {@code RecordTooLargeException}); after {@link #maxFailures} it is a poison record, dead-lettered as
 *       {@code processing-error} so the offset moves on;</li>
 *   <li>which records already have their dead letter acknowledged, so it is published once per record, not once
 *       per pass.</li>
 * </ul>
 * Entries go once their offsets are committed or their partition is revoked. Thread-safe: failures are reported on
 * the producer's thread.
 */
final class RecordAttempts {
    /** A record whose handling failed this often (with a non-retriable error) is dead-lettered. */
    static final int DEFAULT_MAX_FAILURES = 3;

    private final int maxFailures;
    private final Map<TopicPartition, NavigableMap<Long, Entry>> entries = new HashMap<>();

    RecordAttempts(int maxFailures) {
        this.maxFailures = maxFailures;
    }

    int maxFailures() {
        return maxFailures;
    }

    private static final class Entry {
        int failures;
        Throwable lastFailure;
        boolean deadLettered;
    }

    private Entry entry(TopicPartition tp, long offset) {
        return entries.computeIfAbsent(tp, k -> new TreeMap<>()).computeIfAbsent(offset, k -> new Entry());
    }

    /** Counts a failure of handling the record; returns how many there were so far. */
    synchronized int failed(TopicPartition tp, long offset, Throwable error) {
        Entry e = entry(tp, offset);
        e.lastFailure = error;
        return ++e.failures;
    }

    /** The last failure when the record failed {@link #maxFailures} times or more; else null. */
    synchronized Throwable poisoned(TopicPartition tp, long offset) {
        NavigableMap<Long, Entry> partition = entries.get(tp);
        Entry e = partition == null ? null : partition.get(offset);
        return e != null && e.failures >= maxFailures ? e.lastFailure : null;
    }

    synchronized void deadLettered(TopicPartition tp, long offset) {
        entry(tp, offset).deadLettered = true;
    }

    synchronized boolean wasDeadLettered(TopicPartition tp, long offset) {
        NavigableMap<Long, Entry> partition = entries.get(tp);
        Entry e = partition == null ? null : partition.get(offset);
        return e != null && e.deadLettered;
    }

    /** Offsets below {@code next} are committed: nothing about them is needed any more. */
    synchronized void committed(TopicPartition tp, long next) {
        NavigableMap<Long, Entry> partition = entries.get(tp);
        if (partition != null) {
            partition.headMap(next, false).clear();
            if (partition.isEmpty()) {
                entries.remove(tp);
            }
        }
    }

    /** The partition went to another instance, which counts for itself. */
    synchronized void forget(TopicPartition tp) {
        entries.remove(tp);
    }
}
