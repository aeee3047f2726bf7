package io.berth.orchestrator.publish;

import io.berth.events.EventCodec;
import io.berth.events.Topics;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes the orchestrator's events ({@code berth.task.services.*} to {@code berth.task-services}) and
 * dead letters, keyed by task id. Idempotent producer, {@code acks=all}, no linger. Thread-safe: the
 * ingress thread and the orchestrator's context both use it.
 */
public final class EventPublisher implements AutoCloseable {
    private final Producer<String, byte[]> producer;
    private final EventCodec codec;
    private final Consumer<String> onPublished;

    /**
     * @param onPublished told the event type of every event published (for metrics)
     */
    public EventPublisher(Producer<String, byte[]> producer, EventCodec codec, Consumer<String> onPublished) {
        this.producer = producer;
        this.codec = codec;
        this.onPublished = onPublished;
    }

    public static Producer<String, byte[]> producer(String bootstrapServers, String clientId) {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.CLIENT_ID_CONFIG, clientId,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 0,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000),
                new StringSerializer(), new ByteArraySerializer());
    }

    /**
     * Publishes a {@code berth.task.services.*} event about {@code taskId}; completes when acknowledged. Its id is
     * derived from the task, {@code occurrence} (which run of the task id this is) and the type, so an output
     * published again (by the instance that takes a task over) is a duplicate of the first, not a second event.
     */
    public CompletableFuture<RecordMetadata> publishTaskServices(String type, String taskId, String occurrence,
                                                                 Object payload) {
        byte[] value = codec.encodeOnce(type, taskId, payload, taskId + "\n" + occurrence);
        return send(new ProducerRecord<>(Topics.TASK_SERVICES, taskId, value))
                .thenApply(metadata -> {
                    onPublished.accept(type);
                    return metadata;
                });
    }

    /** Publishes a dead letter with the rejected record's key; completes when acknowledged. */
    public CompletableFuture<RecordMetadata> publishDeadLetter(String key, byte[] value) {
        return send(new ProducerRecord<>(Topics.DEAD_LETTER, key, value));
    }

    /**
     * Writes a task's state to the compacted {@code berth.orchestrator-state}, keyed by task id (so it lands on the
     * partition number of the task's events); {@code null} is the tombstone of a forgotten task.
     */
    public CompletableFuture<RecordMetadata> publishState(String taskId, byte[] snapshotOrNull) {
        return send(new ProducerRecord<>(Topics.ORCHESTRATOR_STATE, taskId, snapshotOrNull));
    }

    public String source() {
        return codec.source();
    }

    private CompletableFuture<RecordMetadata> send(ProducerRecord<String, byte[]> record) {
        CompletableFuture<RecordMetadata> done = new CompletableFuture<>();
        try {
            producer.send(record, (metadata, error) -> {
                if (error != null) {
                    done.completeExceptionally(error);
                } else {
                    done.complete(metadata);
                }
            });
        } catch (RuntimeException e) {
            done.completeExceptionally(e);
        }
        return done;
    }

    @Override
    public void close() {
        producer.close(java.time.Duration.ofSeconds(5));
    }
}
