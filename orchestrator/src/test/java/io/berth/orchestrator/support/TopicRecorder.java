package io.berth.orchestrator.support;

import io.berth.events.Envelope;
import io.berth.events.EventCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads topics from the beginning on its own thread and keeps every record, stamped with when it arrived. */
public final class TopicRecorder implements AutoCloseable {
    private static final EventCodec CODEC = new EventCodec("berth://test/recorder");

    /** One record as received. */
    public record Received(String topic, int partition, long offset, String key, byte[] value, long receivedAtNanos) {
        public Envelope envelope() {
            return CODEC.decode(value);
        }

        public String type() {
            return envelope().type();
        }
    }

    private final KafkaConsumer<String, byte[]> consumer;
    private final List<Received> records = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean closing;

    public TopicRecorder(String bootstrapServers, List<String> topics) {
        consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : topics) {
            consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        thread = new Thread(this::run, "topic-recorder");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            while (!closing) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> records.add(new Received(r.topic(), r.partition(),
                        r.offset(), r.key(), r.value(), System.nanoTime())));
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close();
        }
    }

    public List<Received> all(String topic, String key) {
        return records.stream().filter(r -> r.topic().equals(topic) && key.equals(r.key())).toList();
    }

    /** The first record of {@code type} about task {@code key} on {@code topic}. */
    public Optional<Received> first(String topic, String key, String type) {
        return all(topic, key).stream().filter(r -> type.equals(r.type())).findFirst();
    }

    public long count(String topic, String key, String type) {
        return all(topic, key).stream().filter(r -> type.equals(r.type())).count();
    }

    @Override
    public void close() throws InterruptedException {
        closing = true;
        consumer.wakeup();
        thread.join(5_000);
    }
}
