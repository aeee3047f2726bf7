package io.berth.orchestrator.publish;

import io.berth.events.EventCodec;
import io.berth.events.Topics;
import io.berth.events.kafka.CloudEventRecords;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
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
 *
 * <p>{@code producer.send} blocks while it has no metadata for a topic or its buffer is full (up to
 * {@code max.block.ms}), and the orchestrator's context is an event loop that also serves agents' heartbeats and
 * the admin API. So every send is handed to one thread of its own (which keeps their order) and callers only get a
 * future; the queue is bounded, and a send that finds it full fails at once as a Kafka timeout (which the ingress
 * retries like any other).
 */
public final class EventPublisher implements AutoCloseable {
    private final Producer<String, byte[]> producer;
    private final EventCodec codec;
    private final Consumer<String> onPublished;
    private final ThreadPoolExecutor sendThread = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
            new LinkedBlockingQueue<>(MAX_QUEUED), r -> {
                Thread t = new Thread(r, "berth-kafka-send");
                t.setDaemon(true);
                return t;
            });

    /** Records waiting for the send thread; past this, sends fail instead of piling up while the broker is away. */
    static final int MAX_QUEUED = 10_000;
    /** How long the send thread may wait for metadata or buffer space (Kafka's default: 60 s). */
    public static final int MAX_BLOCK_MILLIS = 10_000;

    /**
     * @param onPublished told the event type of every event published (for metrics)
     */
    public EventPublisher(Producer<String, byte[]> producer, EventCodec codec, Consumer<String> onPublished) {
        this.producer = producer;
        this.codec = codec;
        this.onPublished = onPublished;
    }

    public static Producer<String, byte[]> producer(String bootstrapServers, String clientId) {
        return new KafkaProducer<>(io.berth.events.KafkaSecurity.with(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.CLIENT_ID_CONFIG, clientId,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 0,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, MAX_BLOCK_MILLIS)),
                new StringSerializer(), new ByteArraySerializer());
    }

    /**
     * Publishes a {@code berth.task.services.*} event about {@code taskId}; completes when acknowledged. Its id is
     * derived from the task, {@code occurrence} (which run of the task id this is) and the type, so an output
     * published again (by the instance that takes a task over) is a duplicate of the first, not a second event.
     */
    public CompletableFuture<RecordMetadata> publishTaskServices(String type, String taskId, String occurrence,
                                                                 Object payload) {
        // encoded on the send thread: the caller is the orchestrator's event loop
        return send(() -> CloudEventRecords.structured(Topics.TASK_SERVICES, taskId,
                        codec.encodeOnce(type, taskId, payload, taskId + "\n" + occurrence)))
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
        return send(() -> record);
    }

    /** @param record made on the send thread (encoding an event is worth keeping off the caller's thread) */
    private CompletableFuture<RecordMetadata> send(Supplier<ProducerRecord<String, byte[]>> record) {
        CompletableFuture<RecordMetadata> done = new CompletableFuture<>();
        try {
            sendThread.execute(() -> {
                try {
                    producer.send(record.get(), (metadata, error) -> {
                        if (error != null) {
                            done.completeExceptionally(error);
                        } else {
                            done.complete(metadata);
                        }
                    });
                } catch (RuntimeException e) {
                    done.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            done.completeExceptionally(new org.apache.kafka.common.errors.TimeoutException("more than " + MAX_QUEUED
                    + " records wait to be sent (is the broker away?), or the publisher is closed"));
        }
        return done;
    }

    /** Sends what was handed over (within 5 s), then closes the producer. Blocking. */
    @Override
    public void close() {
        sendThread.shutdown();
        try {
            sendThread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sendThread.shutdownNow();
        producer.close(java.time.Duration.ofSeconds(5));
    }
}
