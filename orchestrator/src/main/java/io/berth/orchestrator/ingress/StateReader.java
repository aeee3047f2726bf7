package io.berth.orchestrator.ingress;

import io.berth.events.Topics;
import io.berth.orchestrator.state.TaskSnapshot;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the tasks of some partitions of the compacted {@code berth.orchestrator-state} from the beginning to its
 * current end: the newest snapshot of every task id, tombstoned ones left out. Blocking; a consumer of its own with
 * no group, created per read. Only the newest record of each task is decoded: before the cleaner compacts the topic
 * a live task has a snapshot per event it saw (eight or so), and decoding them all was most of a restore.
 */
public final class StateReader {
    private static final Logger LOG = LoggerFactory.getLogger(StateReader.class);
    private final String bootstrapServers;

    public StateReader(String bootstrapServers) {
        this.bootstrapServers = bootstrapServers;
    }

    /** The partition of the task's records in every Berth topic (they share partition counts and keys). */
    public static int partitionOf(String taskId, int partitions) {
        return Utils.toPositive(Utils.murmur2(taskId.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    /** The tasks of {@code partitions}, by task id; waits for the broker as long as {@code timeout}. */
    public Map<String, TaskSnapshot> read(Collection<Integer> partitions, Duration timeout) {
        Map<String, TaskSnapshot> tasks = new LinkedHashMap<>();
        if (partitions.isEmpty()) {
            return tasks;
        }
        Map<String, ConsumerRecord<String, byte[]>> newest = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        long records = 0;
        List<TopicPartition> tps = new ArrayList<>();
        partitions.forEach(p -> tps.add(new TopicPartition(Topics.ORCHESTRATOR_STATE, p)));
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(io.berth.events.KafkaSecurity.with(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2_000)), new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<TopicPartition, Long> end = consumer.endOffsets(tps, timeout);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!reachedEnd(consumer, end)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("reading " + Topics.ORCHESTRATOR_STATE + " " + partitions
                            + " took longer than " + timeout);
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.key() == null) {
                        continue;
                    }
                    records++;
                    if (record.value() == null) {
                        newest.remove(record.key());
                    } else {
                        newest.put(record.key(), record);
                    }
                }
            }
        }
        long read = System.nanoTime();
        for (ConsumerRecord<String, byte[]> record : newest.values()) {
            try {
                tasks.put(record.key(), TaskSnapshot.fromJson(record.value()));
            } catch (RuntimeException e) {
                LOG.error("unreadable state of task {} at {}-{}@{}: {}", record.key(), record.topic(),
                        record.partition(), record.offset(), e.toString());
            }
        }
        LOG.info("state of partitions {}: {} record(s) read in {} ms, the newest of {} task(s) decoded in {} ms",
                partitions, records, (read - t0) / 1_000_000, tasks.size(), (System.nanoTime() - read) / 1_000_000);
        return tasks;
    }

    private static boolean reachedEnd(KafkaConsumer<String, byte[]> consumer, Map<TopicPartition, Long> end) {
        for (var e : end.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }
}
