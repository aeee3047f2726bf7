package io.berth.cli;

import io.berth.events.Envelope;
import io.berth.events.EventCodec;
import io.berth.events.InvalidEventException;
import io.berth.events.Topics;
import io.berth.events.kafka.CloudEventRecords;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The CI platform's side of Berth: publishes task events and reads back what Berth says about one
 * task (its service progress and the task-level outcome). Blocking; the CLI is not an event loop.
 */
final class TaskClient implements AutoCloseable {
    private final KafkaProducer<String, byte[]> producer;
    private final KafkaConsumer<String, byte[]> consumer;
    private final EventCodec codec;
    /**
     * Events read but not yet asked for, per task this client published for: reading for one task must
     * not lose another's; other tasks' events are none of its business.
     */
    private final Map<String, Deque<Envelope>> pending = new HashMap<>();

    TaskClient(String bootstrapServers) {
        codec = new EventCodec("berth://cli/" + hostName());
        var p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.putAll(io.berth.events.KafkaSecurity.with(Map.of()));
        producer = new KafkaProducer<>(p);
        var c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // Kafka's default fetch wait (500 ms): a fetch returns the instant a record arrives whatever the wait, and a
        // short one only has the broker answer empty fetches while the task runs
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        c.putAll(io.berth.events.KafkaSecurity.with(Map.of()));
        consumer = new KafkaConsumer<>(c);
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(Topics.TASK_SERVICES, Topics.SERVICE_EVENTS)) {
            consumer.partitionsFor(topic, Duration.ofSeconds(30))
                    .forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        // Resolve positions now, so nothing published after this point can be missed.
        partitions.forEach(consumer::position);
    }

    void publish(String type, String taskId, Object payload) throws Exception {
        pending.computeIfAbsent(taskId, k -> new ArrayDeque<>());
        producer.send(CloudEventRecords.structured(Topics.TASK_EVENTS, taskId, codec.encode(type, taskId, payload)))
                .get(30, TimeUnit.SECONDS);
    }

    /**
     * Publishes a task event without registering the task for reading: safe from another thread than the one that
     * reads (the producer is thread-safe, the reading side is not), e.g. for heartbeats.
     */
    void publishQuietly(String type, String taskId, Object payload) throws Exception {
        producer.send(CloudEventRecords.structured(Topics.TASK_EVENTS, taskId, codec.encode(type, taskId, payload)))
                .get(30, TimeUnit.SECONDS);
    }

    /** Publishes any bytes as a task event (for tests of what Berth does with bad input). */
    void publishRaw(String key, byte[] value) throws Exception {
        pending.computeIfAbsent(key, k -> new ArrayDeque<>());
        producer.send(new ProducerRecord<>(Topics.TASK_EVENTS, key, value)).get(30, TimeUnit.SECONDS);
    }

    /** The next event about {@code taskId} (service progress or task outcome), or empty on timeout. */
    Optional<Envelope> next(String taskId, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Deque<Envelope> mine = pending.computeIfAbsent(taskId, k -> new ArrayDeque<>());
        while (mine.isEmpty()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return Optional.empty();
            }
            for (ConsumerRecord<String, byte[]> record : inCausalOrder(consumer.poll(
                    Duration.ofNanos(Math.min(left, 100_000_000))))) {
                Deque<Envelope> queue = record.key() == null ? null : pending.get(record.key());
                if (queue == null) {
                    continue;
                }
                try {
                    queue.add(codec.decode(record.value(), CloudEventRecords.headers(record.headers()), record.key()));
                } catch (InvalidEventException e) {
                    // Not ours to judge; the orchestrator dead-letters bad records.
                }
            }
        }
        return Optional.of(mine.poll());
    }

    /**
     * The services' events of one poll before the task-level outcomes: an outcome follows from service events the
     * orchestrator read before it, so they are in this poll or an earlier one, but a poll hands partitions over in
     * no particular order (`ready` of the task must not come before `starting` of its services).
     */
    static List<ConsumerRecord<String, byte[]>> inCausalOrder(ConsumerRecords<String, byte[]> records) {
        List<ConsumerRecord<String, byte[]>> ordered = new ArrayList<>(records.count());
        records.records(Topics.SERVICE_EVENTS).forEach(ordered::add);
        records.records(Topics.TASK_SERVICES).forEach(ordered::add);
        return ordered;
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
        consumer.close(Duration.ofSeconds(5));
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "localhost";
        }
    }
}
