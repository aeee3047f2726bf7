package io.berth.orchestrator.ingress;

import io.berth.events.Envelope;
import io.berth.events.Topics;
import io.berth.orchestrator.ingress.EventTranslator.Translation;
import io.berth.orchestrator.publish.EventPublisher;
import io.berth.orchestrator.state.TaskInput;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads {@code berth.task-events} and {@code berth.service-events} on its own thread (kafka-clients is
 * blocking) and hands each valid event to the orchestrator; refused records go to {@code berth.dead-letter}.
 *
 * <p>At-least-once: a batch's offsets are committed only after every record of it was handled (its
 * outputs acknowledged by Kafka) or dead-lettered. If that fails (Kafka unreachable, a handler timing
 * out) the consumer seeks back and the batch is read again; the state machine ignores what it already
 * saw. A record that cannot be handled never blocks its partition: it is dead-lettered and skipped.
 * The range assignor keeps the two topics co-partitioned: partition N of both goes to one orchestrator.
 */
public final class KafkaIngress {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaIngress.class);
    private static final long RETRY_BACKOFF_MILLIS = 500;

    /** Handles a valid event; the stage completes once its effects that must be durable are. */
    @FunctionalInterface
    public interface Handler {
        CompletionStage<Void> handle(Envelope envelope, TaskInput input);
    }

    /** Observes the flow, e.g. for metrics. Called on the ingress thread. */
    public interface Observer {
        default void received(String topic, String eventType) {}

        default void deadLettered(String reason) {}
    }

    private final Consumer<String, byte[]> consumer;
    private final EventTranslator translator;
    private final EventPublisher publisher;
    private final Handler handler;
    private final Observer observer;
    private final Duration handleTimeout;
    private final CompletableFuture<Void> assigned = new CompletableFuture<>();
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private final Thread thread;
    private volatile boolean closing;
    /** True while a polled batch is being handled: the consumer's positions are then ahead of what is done. */
    private boolean batchInFlight;

    public KafkaIngress(Consumer<String, byte[]> consumer, EventTranslator translator, EventPublisher publisher,
                        Handler handler, Observer observer, Duration handleTimeout) {
        this.consumer = consumer;
        this.translator = translator;
        this.publisher = publisher;
        this.handler = handler;
        this.observer = observer;
        this.handleTimeout = handleTimeout;
        this.thread = new Thread(this::run, "berth-ingress");
        this.thread.setDaemon(true);
    }

    /** A consumer in group {@code groupId}, reading from the earliest offset when the group has none. */
    public static Consumer<String, byte[]> consumer(String bootstrapServers, String groupId, String clientId) {
        return new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, groupId,
                ConsumerConfig.CLIENT_ID_CONFIG, clientId,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RangeAssignor.class.getName(),
                ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500),
                new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** Starts the thread; completes once partitions were first assigned to this consumer. */
    public CompletableFuture<Void> start() {
        thread.start();
        return assigned;
    }

    /** Stops polling (via {@code wakeup()}); completes when the consumer is closed. */
    public CompletableFuture<Void> stop() {
        closing = true;
        consumer.wakeup();
        if (!thread.isAlive()) {
            stopped.complete(null);
        }
        return stopped;
    }

    private void run() {
        try {
            consumer.subscribe(List.of(Topics.TASK_EVENTS, Topics.SERVICE_EVENTS), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    // every batch was handled before this poll: its offsets are the consumer's positions
                    commitPending();
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    LOG.info("ingress assigned {}", partitions);
                    assigned.complete(null);
                }
            });
            while (!closing) {
                ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(1000));
                if (!records.isEmpty()) {
                    batchInFlight = true;
                    process(records);
                    batchInFlight = false;
                }
            }
        } catch (WakeupException e) {
            if (!closing) {
                LOG.error("ingress woken up unexpectedly", e);
            }
        } catch (RuntimeException e) {
            LOG.error("ingress stopped by an unexpected error", e);
            assigned.completeExceptionally(e);
        } finally {
            if (!batchInFlight) {
                commitPending();
            }
            try {
                consumer.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                LOG.warn("closing the ingress consumer: {}", e.toString());
            }
            assigned.completeExceptionally(new IllegalStateException("ingress stopped"));
            stopped.complete(null);
        }
    }

    private void process(ConsumerRecords<String, byte[]> records) {
        List<CompletableFuture<?>> pending = new ArrayList<>(records.count());
        Map<TopicPartition, Long> first = new HashMap<>();
        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            TopicPartition tp = new TopicPartition(record.topic(), record.partition());
            first.putIfAbsent(tp, record.offset());
            next.put(tp, new OffsetAndMetadata(record.offset() + 1));
            pending.add(handle(record));
        }
        try {
            CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new))
                    .get(handleTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WakeupException();
        } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof TimeoutException ? e : e.getCause();
            LOG.warn("a batch of {} record(s) could not be handled ({}); reading it again", records.count(),
                    cause.toString());
            first.forEach(consumer::seek);
            pause(RETRY_BACKOFF_MILLIS);
            return;
        }
        // Asynchronous: a lost commit only means the batch is read again (and deduplicated); the last
        // offsets are committed synchronously on revocation and shutdown.
        consumer.commitAsync(next, (offsets, error) -> {
            if (error != null) {
                LOG.warn("committing offsets failed: {}", error.toString());
            }
        });
    }

    private void commitPending() {
        try {
            consumer.commitSync(Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            // e.g. a rebalance already took the partitions away: their new owner reads the tail again
            LOG.warn("committing offsets failed: {}", e.toString());
        }
    }

    private CompletableFuture<?> handle(ConsumerRecord<String, byte[]> record) {
        Translation translation = translator.translate(record.topic(), record.key(), record.value());
        if (!translation.isAccepted()) {
            return deadLetter(record, translation.rejection());
        }
        observer.received(record.topic(), translation.envelope().type());
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            handler.handle(translation.envelope(), translation.input()).whenComplete((v, error) -> {
                if (error == null) {
                    done.complete(null);
                } else {
                    fail(done, record, translation, error);
                }
            });
        } catch (RuntimeException e) {
            fail(done, record, translation, e);
        }
        return done;
    }

    private void fail(CompletableFuture<Void> done, ConsumerRecord<String, byte[]> record, Translation translation,
                      Throwable error) {
        if (isTransient(error)) {
            done.completeExceptionally(error); // re-read the batch
            return;
        }
        LOG.error("handling {} of task {} failed; dead-lettering it", translation.envelope().type(),
                translation.envelope().subject(), error);
        var envelope = translation.envelope();
        var rejection = new Rejection(DeadLetter.Reasons.PROCESSING_ERROR, String.valueOf(error), List.of(),
                envelope.type(), envelope.id(), envelope.source());
        deadLetter(record, rejection).whenComplete((v, e) -> {
            if (e == null) {
                done.complete(null);
            } else {
                done.completeExceptionally(e);
            }
        });
    }

    /** Kafka errors while publishing outputs are worth a retry; anything else is a bug in handling. */
    private static boolean isTransient(Throwable error) {
        Throwable t = error;
        while (t != null) {
            if (t instanceof org.apache.kafka.common.KafkaException) {
                return true;
            }
            t = t.getCause();
        }
        return false;
    }

    private CompletableFuture<?> deadLetter(ConsumerRecord<String, byte[]> record, Rejection rejection) {
        LOG.warn("dead-lettering {}-{}@{} ({}): {}", record.topic(), record.partition(), record.offset(),
                rejection.reason(), rejection.message());
        observer.deadLettered(rejection.reason());
        DeadLetter letter = DeadLetter.of(rejection, record.topic(), record.partition(), record.offset(),
                record.key(), record.value(), publisher.source());
        return publisher.publishDeadLetter(record.key(), letter.toJson());
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
