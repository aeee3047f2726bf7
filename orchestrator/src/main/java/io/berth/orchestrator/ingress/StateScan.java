package io.berth.orchestrator.ingress;

import io.berth.events.Topics;
import io.berth.orchestrator.state.TaskSnapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pass over partitions of the compacted {@code berth.orchestrator-state}, each from a given offset to the end it
 * had when the pass began: the newest record of every task id seen and the ids whose newest record is a tombstone.
 * Blocking; a consumer of its own with no group. Only the newest record of a task is worth decoding: before the
 * cleaner compacts the topic a live task has a record per turn that changed it.
 */
final class StateScan {
    private static final Logger LOG = LoggerFactory.getLogger(StateScan.class);

    /**
     * @param newest    the newest non-tombstone record of each task id, in the order the ids were first seen
     * @param deleted   the ids whose newest record is a tombstone
     * @param positions partition → the offset the pass read up to (the next one to read)
     * @param records   how many records the pass read
     */
    record Result(Map<String, ConsumerRecord<String, byte[]>> newest, Set<String> deleted,
                  Map<Integer, Long> positions, long records) {}

    private StateScan() {}

    /**
     * Reads {@code from}'s partitions, each from its offset (0: the beginning), or every partition of the topic from
     * the beginning when {@code from} is null; waits for the broker as long as {@code timeout}.
     */
    static Result read(String bootstrapServers, Map<Integer, Long> from, Duration timeout) {
        Map<String, ConsumerRecord<String, byte[]>> newest = new LinkedHashMap<>();
        Set<String> deleted = new HashSet<>();
        Map<Integer, Long> positions = new LinkedHashMap<>();
        long records = 0;
        // an offset below the partition's start (records deleted meanwhile) reads it from its start: never from its
        // end. Never creating the topic: a read ahead runs beside BerthTopics.ensure, and a broker that creates
        // topics on a consumer's request would make the state topic with its defaults (not compacted) first.
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(io.berth.events.KafkaSecurity.with(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2_000)), new StringDeserializer(), new ByteArrayDeserializer())) {
            Map<Integer, Long> start = from != null ? from : everyPartition(consumer, timeout);
            if (start.isEmpty()) {
                return new Result(newest, deleted, positions, 0);
            }
            List<TopicPartition> tps = new ArrayList<>();
            start.keySet().forEach(p -> tps.add(new TopicPartition(Topics.ORCHESTRATOR_STATE, p)));
            consumer.assign(tps);
            for (TopicPartition tp : tps) {
                long offset = start.get(tp.partition());
                if (offset > 0) {
                    consumer.seek(tp, offset);
                } else {
                    consumer.seekToBeginning(List.of(tp));
                }
            }
            Map<TopicPartition, Long> end = consumer.endOffsets(tps, timeout);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!reachedEnd(consumer, end)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("reading " + Topics.ORCHESTRATOR_STATE + " " + start.keySet()
                            + " took longer than " + timeout);
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.key() == null) {
                        continue;
                    }
                    records++;
                    if (record.value() == null) {
                        newest.remove(record.key());
                        deleted.add(record.key());
                    } else {
                        newest.put(record.key(), record);
                        deleted.remove(record.key());
                    }
                }
            }
            tps.forEach(tp -> positions.put(tp.partition(), consumer.position(tp)));
        }
        return new Result(newest, deleted, positions, records);
    }

    /**
     * The snapshots of {@code records}, by task id in their order, decoded on every core: a freshly started instance
     * decodes with a cold JIT, and on one thread that was the larger half of a restore (10,000 tasks: 3.3 s decoding
     * after 2.8 s reading). An unreadable record is logged and left out: it must not keep the others away.
     */
    static Map<String, TaskSnapshot> decode(Collection<ConsumerRecord<String, byte[]>> records) {
        List<ConsumerRecord<String, byte[]>> toDecode = new ArrayList<>(records);
        List<TaskSnapshot> decoded = toDecode.parallelStream().map(StateScan::decodeOrNull).toList();
        Map<String, TaskSnapshot> tasks = new LinkedHashMap<>();
        for (int i = 0; i < toDecode.size(); i++) {
            if (decoded.get(i) != null) {
                tasks.put(toDecode.get(i).key(), decoded.get(i));
            }
        }
        return tasks;
    }

    private static TaskSnapshot decodeOrNull(ConsumerRecord<String, byte[]> record) {
        try {
            return TaskSnapshot.fromJson(record.value());
        } catch (RuntimeException e) {
            LOG.error("unreadable state of task {} at {}-{}@{}: {}", record.key(), record.topic(),
                    record.partition(), record.offset(), e.toString());
            return null;
        }
    }

    private static Map<Integer, Long> everyPartition(KafkaConsumer<String, byte[]> consumer, Duration timeout) {
        Map<Integer, Long> all = new LinkedHashMap<>();
        consumer.partitionsFor(Topics.ORCHESTRATOR_STATE, timeout).forEach(p -> all.put(p.partition(), 0L));
        return all;
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
