package io.berth.orchestrator.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetCommitCallback;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** How handled offsets are committed: in order, and coalesced rather than one commit per record. */
class InFlightBatchesTest {
    private static final TopicPartition TP = new TopicPartition("berth.task-events", 0);

    /** Counts the commits it is asked for. */
    private static final class CountingConsumer extends MockConsumer<String, byte[]> {
        final AtomicInteger commits = new AtomicInteger();

        CountingConsumer() {
            super("earliest");
        }

        @Override
        public synchronized void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets,
                                             OffsetCommitCallback callback) {
            commits.incrementAndGet();
            super.commitAsync(offsets, callback);
        }
    }

    private final CountingConsumer consumer = new CountingConsumer();
    private final InFlightBatches batches = new InFlightBatches(consumer, r -> CompletableFuture.completedFuture(null),
            new RecordAttempts(3), Duration.ofSeconds(5));

    @Test
    void recordsHandledInABurstAreCommittedTogether_andNoneIsLeftUncommitted() {
        consumer.assign(List.of(TP));
        long start = System.nanoTime();
        for (int i = 0; i < 200; i++) {
            batches.dispatch(batchOf(i));
            batches.settle();
        }
        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;

        // one commit per interval at most (the first may come at once), not one per record
        assertThat(consumer.commits.get()).isLessThanOrEqualTo(2 + (int) (elapsedMillis / InFlightBatches.COMMIT_INTERVAL_MILLIS));
        assertThat(batches.commitDueInMillis()).isLessThanOrEqualTo(InFlightBatches.COMMIT_INTERVAL_MILLIS);
        await().atMost(Duration.ofSeconds(2)).until(() -> {
            batches.settle();
            return committed() == 200;
        });
    }

    @Test
    void aRevocationCommitsWhatWasHandledButNotYetCommitted() {
        consumer.assign(List.of(TP));
        batches.dispatch(batchOf(0));
        batches.settle();
        batches.dispatch(batchOf(1));
        batches.settle();

        batches.settleAll();

        assertThat(committed()).isEqualTo(2);
        assertThat(batches.commitDueInMillis()).isEqualTo(Long.MAX_VALUE);
    }

    private static ConsumerRecords<String, byte[]> batchOf(long offset) {
        return new ConsumerRecords<>(Map.of(TP, List.of(new ConsumerRecord<>(TP.topic(), TP.partition(), offset,
                "t" + offset, new byte[0]))), Map.of());
    }

    private long committed() {
        OffsetAndMetadata offset = consumer.committed(Set.of(TP)).get(TP);
        return offset == null ? -1 : offset.offset();
    }
}
