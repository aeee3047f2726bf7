package io.berth.orchestrator.ingress;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The polled batches whose records are handed over but not all done yet, oldest first, and the offsets they commit.
 * A batch's offsets are committed only once it and every earlier batch are done; one that failed or took longer
 * than the handle timeout rewinds the consumer, so it and every later batch are read again. Used on the ingress
 * thread only.
 */
final class InFlightBatches {
    private static final Logger LOG = LoggerFactory.getLogger(InFlightBatches.class);
    static final long RETRY_BACKOFF_MILLIS = 500;
    /**
     * Polls whose records may wait for their outputs and state at once before the consumer waits for the oldest. A
     * state snapshot is written once per {@code StateStore.COALESCE_WINDOW} (50 ms), and at a few hundred inputs a
     * second, polled one or two at a time, a window holds tens of polls: fewer would stall the ingress on the window.
     */
    private static final int MAX_BATCHES_IN_FLIGHT = 64;
    /**
     * Handled offsets are committed at most this often: a commit is a write to the group's offsets log, and one per
     * record was most of the broker's work per task. A crash re-reads at most this much, which the state machine
     * ignores as duplicates.
     */
    static final long COMMIT_INTERVAL_MILLIS = 100;

    private final Consumer<String, byte[]> consumer;
    private final Function<ConsumerRecord<String, byte[]>, CompletableFuture<?>> handler;
    private final RecordAttempts attempts;
    private final Duration handleTimeout;
    private final ArrayDeque<Batch> inFlight = new ArrayDeque<>();
    private final Map<TopicPartition, OffsetAndMetadata> uncommitted = new HashMap<>();
    private long lastCommitNanos = System.nanoTime();

    /** One polled batch: where it starts and ends per partition, and when all its records are handled. */
    private record Batch(Map<TopicPartition, Long> first, Map<TopicPartition, OffsetAndMetadata> next,
                         CompletableFuture<Void> done, long startedAtNanos, int records, List<Handled> handled) {}

    /** One record of a batch and when its handling is done. */
    private record Handled(TopicPartition partition, long offset, CompletableFuture<?> done) {}

    InFlightBatches(Consumer<String, byte[]> consumer,
                    Function<ConsumerRecord<String, byte[]>, CompletableFuture<?>> handler, RecordAttempts attempts,
                    Duration handleTimeout) {
        this.consumer = consumer;
        this.handler = handler;
        this.attempts = attempts;
        this.handleTimeout = handleTimeout;
    }

    boolean isEmpty() {
        return inFlight.isEmpty();
    }

    /** Forgets the batches without committing them (the partitions were lost: they may be someone else's now). */
    void clear() {
        inFlight.clear();
        uncommitted.clear();
    }

    /** How long the consumer may wait in a poll before handled offsets are due to be committed. */
    long commitDueInMillis() {
        if (uncommitted.isEmpty()) {
            return Long.MAX_VALUE;
        }
        return Math.max(0, COMMIT_INTERVAL_MILLIS - (System.nanoTime() - lastCommitNanos) / 1_000_000);
    }

    /**
     * Hands every record of the batch over (the orchestrator applies them in order at once) and returns without
     * waiting for their outputs to be acknowledged: the next poll overlaps with that wait.
     */
    void dispatch(ConsumerRecords<String, byte[]> records) {
        List<Handled> handled = new ArrayList<>(records.count());
        Map<TopicPartition, Long> first = new HashMap<>();
        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            TopicPartition tp = new TopicPartition(record.topic(), record.partition());
            first.putIfAbsent(tp, record.offset());
            next.put(tp, new OffsetAndMetadata(record.offset() + 1));
            handled.add(new Handled(tp, record.offset(), handler.apply(record)));
        }
        inFlight.add(new Batch(first, next, CompletableFuture.allOf(handled.stream().map(Handled::done)
                .toArray(CompletableFuture[]::new)), System.nanoTime(), records.count(), handled));
    }

    /**
     * Commits the batches done so far, oldest first. A batch that failed or took longer than the handle timeout
     * rewinds the consumer to its first offsets: it and every later batch are read again (the state machine
     * ignores what it already applied). Blocks while too many batches are in flight.
     */
    void settle() {
        Map<TopicPartition, OffsetAndMetadata> done = new HashMap<>();
        while (!inFlight.isEmpty()) {
            Batch oldest = inFlight.peek();
            if (!oldest.done().isDone()) {
                boolean overdue = System.nanoTime() - oldest.startedAtNanos() > handleTimeout.toNanos();
                if (!overdue && inFlight.size() <= MAX_BATCHES_IN_FLIGHT) {
                    break;
                }
                if (!overdue && await(oldest)) {
                    continue;
                }
                TimeoutException timeout = new TimeoutException("not handled within " + handleTimeout.toMillis()
                        + " ms");
                for (Handled h : oldest.handled()) { // a handler that never answers is a failure of its record
                    if (!h.done().isDone()) {
                        attempts.failed(h.partition(), h.offset(), timeout);
                    }
                }
                rewind(timeout);
                break;
            }
            if (oldest.done().isCompletedExceptionally()) {
                rewind(failureOf(oldest));
                break;
            }
            inFlight.poll();
            done.putAll(oldest.next());
        }
        uncommitted.putAll(done);
        if (!uncommitted.isEmpty() && commitDueInMillis() == 0) {
            Map<TopicPartition, OffsetAndMetadata> offsets = Map.copyOf(uncommitted);
            uncommitted.clear();
            lastCommitNanos = System.nanoTime();
            offsets.forEach((tp, next) -> attempts.committed(tp, next.offset()));
            // Asynchronous: a lost commit only means records are read again (and ignored as duplicates).
            consumer.commitAsync(offsets, (committed, error) -> {
                if (error != null) {
                    LOG.warn("committing offsets failed: {}", error.toString());
                }
            });
        }
    }

    /** Waits for every batch in flight (revocation, shutdown) and commits what was handled, synchronously. */
    void settleAll() {
        Map<TopicPartition, OffsetAndMetadata> done = new HashMap<>(uncommitted);
        uncommitted.clear();
        for (Batch batch : inFlight) {
            if (!await(batch) || batch.done().isCompletedExceptionally()) {
                break; // this and later batches are read again by whoever owns their partitions next
            }
            done.putAll(batch.next());
        }
        inFlight.clear();
        if (done.isEmpty()) {
            return;
        }
        try {
            consumer.commitSync(done, Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            // e.g. the partitions are already gone: their new owner reads the tail again
            LOG.warn("committing offsets failed: {}", e.toString());
        }
    }

    /** True when the batch completed (successfully or not) within the handle timeout. */
    private boolean await(Batch batch) {
        long left = handleTimeout.toNanos() - (System.nanoTime() - batch.startedAtNanos());
        try {
            batch.done().get(Math.max(0, left), TimeUnit.NANOSECONDS);
            return true;
        } catch (java.util.concurrent.ExecutionException e) {
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void rewind(Throwable cause) {
        Map<TopicPartition, Long> seekTo = new HashMap<>();
        int records = 0;
        for (Batch batch : inFlight) {
            batch.first().forEach(seekTo::putIfAbsent);
            records += batch.records();
        }
        inFlight.clear();
        LOG.warn("{} record(s) could not be handled ({}); reading them again", records, cause.toString());
        Set<TopicPartition> owned = consumer.assignment();
        seekTo.forEach((tp, offset) -> {
            if (owned.contains(tp)) {
                consumer.seek(tp, offset);
            }
        });
        pause(RETRY_BACKOFF_MILLIS);
    }

    private static Throwable failureOf(Batch batch) {
        try {
            batch.done().join();
            return new IllegalStateException("no failure");
        } catch (java.util.concurrent.CompletionException e) {
            return e.getCause() == null ? e : e.getCause();
        }
    }

    /** Backs off on the ingress thread (it has nothing else to do until Kafka or the handler recovers). */
    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
