package io.berth.orchestrator.ingress;

import io.berth.events.Envelope;
import io.berth.events.Topics;
import io.berth.events.kafka.CloudEventRecords;
import io.berth.orchestrator.ingress.EventTranslator.Translation;
import io.berth.orchestrator.publish.EventPublisher;
import io.berth.orchestrator.state.TaskInput;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * <p>At-least-once: a batch's offsets are committed only after every record of it (and of every earlier
 * batch) was handled — its outputs acknowledged by Kafka — or dead-lettered. Records are applied in order as
 * soon as they are polled; waiting for the acknowledgements overlaps with the next polls. If handling fails
 * (Kafka unreachable, a handler timing out) the consumer seeks back and the records are read again; the
 * state machine ignores what it already saw. A record that cannot be handled never blocks its partition: it
 * is dead-lettered and skipped — at once when handling it failed with anything but a Kafka error, and after
 * {@link RecordAttempts#DEFAULT_MAX_FAILURES} failures with a Kafka error that retrying cannot cure (a poison record,
 * e.g. one whose state is too large to write). Only retriable Kafka errors (the broker away, a leader moving) are
 * retried without end. A record's dead letter is published once, however often its batch is read again.
 * The range assignor keeps the two topics co-partitioned: partition N of both goes to one orchestrator.
 */
public final class KafkaIngress {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaIngress.class);
    private static final long RETRY_BACKOFF_MILLIS = 500;
    private static final int MAX_BATCHES_IN_FLIGHT = 8;

    /** Handles a valid event; the stage completes once its effects that must be durable are. */
    @FunctionalInterface
    public interface Handler {
        CompletionStage<Void> handle(Envelope envelope, TaskInput input);
    }

    /** Observes the flow, e.g. for metrics. Called on the ingress thread. */
    public interface Observer {
        default void received(String topic, String eventType) {}

        default void deadLettered(DeadLetter.Reason reason) {}
    }

    /**
     * Told which partitions of {@code berth.task-events} (and, co-partitioned, of every Berth topic) this instance
     * gains or loses, on the ingress thread, before any record of a gained partition is handled and after every
     * record of a lost one was. A failing {@code assigned} is retried until it succeeds.
     */
    public interface Partitions {
        void assigned(Set<Integer> partitions, int partitionCount);

        void revoked(Set<Integer> partitions, int partitionCount);
    }

    private final Consumer<String, byte[]> consumer;
    private volatile Partitions partitions = new Partitions() {
        @Override
        public void assigned(Set<Integer> p, int count) {}

        @Override
        public void revoked(Set<Integer> p, int count) {}
    };
    private final EventTranslator translator;
    private final EventPublisher publisher;
    private final Handler handler;
    private final Observer observer;
    private final Duration handleTimeout;
    private final CompletableFuture<Void> assigned = new CompletableFuture<>();
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private final Thread thread;
    private volatile boolean closing;
    /** Batches handed over whose outputs are not all acknowledged yet, oldest first. */
    private final ArrayDeque<Batch> inFlight = new ArrayDeque<>();
    private final RecordAttempts attempts = new RecordAttempts(RecordAttempts.DEFAULT_MAX_FAILURES);

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
        return consumer(bootstrapServers, groupId, clientId, 45_000);
    }

    /**
     * The same, with the group's session timeout: how long the group waits for a silent (killed) member before its
     * partitions go to the others.
     */
    public static Consumer<String, byte[]> consumer(String bootstrapServers, String groupId, String clientId,
                                                    long sessionTimeoutMillis) {
        return new KafkaConsumer<>(io.berth.events.KafkaSecurity.with(Map.of(
                ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) sessionTimeoutMillis,
                // members learn of a rebalance (another instance left or joined) on their next heartbeat
                ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG,
                (int) Math.max(100, Math.min(1_000, sessionTimeoutMillis / 3)),
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, groupId,
                ConsumerConfig.CLIENT_ID_CONFIG, clientId,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RangeAssignor.class.getName(),
                ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500)),
                new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** Who restores and drops the state of partitions as they come and go. Call before {@link #start()}. */
    public KafkaIngress onPartitions(Partitions listener) {
        this.partitions = listener;
        return this;
    }

    /** Starts the thread; completes once partitions were first assigned to this consumer. */
    public CompletableFuture<Void> start() {
        thread.start();
        return assigned;
    }

    /** True once partitions were assigned and while the consumer thread polls (readiness). */
    public boolean isConsuming() {
        return assigned.isDone() && !assigned.isCompletedExceptionally() && thread.isAlive() && !closing;
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
                public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
                    settleAll();
                    revoked.forEach(attempts::forget);
                    Set<Integer> lost = taskPartitions(revoked);
                    if (!lost.isEmpty()) {
                        try {
                            partitions.revoked(lost, partitionCount());
                        } catch (RuntimeException e) {
                            LOG.error("dropping the state of partitions {} failed", lost, e);
                        }
                    }
                }

                @Override
                public void onPartitionsLost(Collection<TopicPartition> lost) {
                    // the group moved on without us: whatever we held may already be someone else's
                    inFlight.clear();
                    lost.forEach(attempts::forget);
                    Set<Integer> gone = taskPartitions(lost);
                    if (!gone.isEmpty()) {
                        try {
                            partitions.revoked(gone, partitionCount());
                        } catch (RuntimeException e) {
                            LOG.error("dropping the state of partitions {} failed", gone, e);
                        }
                    }
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> gained) {
                    LOG.info("ingress assigned {}", gained);
                    Set<Integer> owned = taskPartitions(gained);
                    while (!owned.isEmpty() && !closing) {
                        try {
                            partitions.assigned(owned, partitionCount());
                            break;
                        } catch (RuntimeException e) {
                            LOG.warn("restoring the state of partitions {} failed ({}); retrying", owned,
                                    e.toString());
                            pause(RETRY_BACKOFF_MILLIS);
                        }
                    }
                    assigned.complete(null);
                }
            });
            while (!closing) {
                // While batches are in flight, poll briefly so their completion is noticed (and committed) soon.
                ConsumerRecords<String, byte[]> records = consumer.poll(inFlight.isEmpty()
                        ? Duration.ofMillis(1000) : Duration.ofMillis(5));
                if (!records.isEmpty()) {
                    inFlight.add(dispatch(records));
                }
                settle();
            }
        } catch (WakeupException e) {
            if (!closing) {
                LOG.error("ingress woken up unexpectedly", e);
            }
        } catch (RuntimeException e) {
            LOG.error("ingress stopped by an unexpected error", e);
            assigned.completeExceptionally(e);
        } finally {
            settleAll();
            try {
                consumer.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                LOG.warn("closing the ingress consumer: {}", e.toString());
            }
            assigned.completeExceptionally(new IllegalStateException("ingress stopped"));
            stopped.complete(null);
        }
    }

    private static Set<Integer> taskPartitions(Collection<TopicPartition> tps) {
        Set<Integer> out = new java.util.TreeSet<>();
        for (TopicPartition tp : tps) {
            if (tp.topic().equals(Topics.TASK_EVENTS)) {
                out.add(tp.partition());
            }
        }
        return out;
    }

    private int partitionCount() {
        var infos = consumer.partitionsFor(Topics.TASK_EVENTS);
        return infos == null ? 0 : infos.size();
    }

    /**
     * Hands every record of the batch over (the orchestrator applies them in order at once) and returns without
     * waiting for their outputs to be acknowledged: the next poll overlaps with that wait.
     */
    private Batch dispatch(ConsumerRecords<String, byte[]> records) {
        List<Handled> handled = new ArrayList<>(records.count());
        Map<TopicPartition, Long> first = new HashMap<>();
        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            TopicPartition tp = new TopicPartition(record.topic(), record.partition());
            first.putIfAbsent(tp, record.offset());
            next.put(tp, new OffsetAndMetadata(record.offset() + 1));
            handled.add(new Handled(tp, record.offset(), handle(record)));
        }
        return new Batch(first, next, CompletableFuture.allOf(handled.stream().map(Handled::done)
                .toArray(CompletableFuture[]::new)), System.nanoTime(), records.count(), handled);
    }

    /**
     * Commits the batches done so far, oldest first. A batch that failed or took longer than the handle timeout
     * rewinds the consumer to its first offsets: it and every later batch are read again (the state machine
     * ignores what it already applied). Blocks while too many batches are in flight.
     */
    private void settle() {
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
        if (!done.isEmpty()) {
            done.forEach((tp, next) -> attempts.committed(tp, next.offset()));
            // Asynchronous: a lost commit only means records are read again (and ignored as duplicates).
            consumer.commitAsync(done, (offsets, error) -> {
                if (error != null) {
                    LOG.warn("committing offsets failed: {}", error.toString());
                }
            });
        }
    }

    /** Waits for every batch in flight (revocation, shutdown) and commits what was handled, synchronously. */
    private void settleAll() {
        Map<TopicPartition, OffsetAndMetadata> done = new HashMap<>();
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

    /** One polled batch: where it starts and ends per partition, and when all its records are handled. */
    private record Batch(Map<TopicPartition, Long> first, Map<TopicPartition, OffsetAndMetadata> next,
                         CompletableFuture<Void> done, long startedAtNanos, int records, List<Handled> handled) {}

    /** One record of a batch and when its handling is done. */
    private record Handled(TopicPartition partition, long offset, CompletableFuture<?> done) {}

    private CompletableFuture<?> handle(ConsumerRecord<String, byte[]> record) {
        TopicPartition tp = new TopicPartition(record.topic(), record.partition());
        Translation translation = translator.translate(record.topic(), record.key(),
                CloudEventRecords.headers(record.headers()), record.value());
        Throwable poison = attempts.poisoned(tp, record.offset());
        if (poison != null) {
            if (attempts.wasDeadLettered(tp, record.offset())) {
                return CompletableFuture.completedFuture(null); // a refused task whose answer keeps failing
            }
            String message = "handling failed " + attempts.maxFailures() + " times (" + poison + "); skipped";
            var envelope = translation.envelope();
            var refused = translation.rejection();
            return deadLetter(record, envelope != null
                    ? new Rejection(DeadLetter.Reason.PROCESSING_ERROR, message, List.of(), envelope.type(),
                            envelope.id(), envelope.source())
                    : new Rejection(DeadLetter.Reason.PROCESSING_ERROR, message, List.of(), refused.eventType(),
                            refused.eventId(), refused.eventSource()));
        }
        if (attempts.wasDeadLettered(tp, record.offset())) {
            // read again after a rewind: its dead letter is out; a refused task is still answered
            return translation.isAccepted() || translation.input() == null ? CompletableFuture.completedFuture(null)
                    : deliver(record, translation);
        }
        if (!translation.isAccepted()) {
            CompletableFuture<?> letter = deadLetter(record, translation.rejection());
            // a refused task.started whose task is known by id is also answered (failed, released)
            return translation.input() == null ? letter : letter.thenCompose(v -> deliver(record, translation));
        }
        observer.received(record.topic(), translation.envelope().type());
        return deliver(record, translation);
    }

    private CompletableFuture<Void> deliver(ConsumerRecord<String, byte[]> record, Translation translation) {
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
        if (isKafkaError(error)) {
            if (!isRetriable(error)) {
                int failures = attempts.failed(new TopicPartition(record.topic(), record.partition()), record.offset(),
                        error);
                LOG.warn("handling {}-{}@{} failed ({} of {} times): {}", record.topic(), record.partition(),
                        record.offset(), failures, attempts.maxFailures(), error.toString());
            }
            done.completeExceptionally(error); // re-read the batch
            return;
        }
        LOG.error("handling {} of task {} failed; dead-lettering it", translation.envelope().type(),
                translation.envelope().subject(), error);
        var envelope = translation.envelope();
        var rejection = new Rejection(DeadLetter.Reason.PROCESSING_ERROR, String.valueOf(error), List.of(),
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
    private static boolean isKafkaError(Throwable error) {
        return cause(error, org.apache.kafka.common.KafkaException.class);
    }

    /** Kafka's own word that trying again may succeed (the broker away, a leader moving, a timeout). */
    private static boolean isRetriable(Throwable error) {
        return cause(error, org.apache.kafka.common.errors.RetriableException.class);
    }

    private static boolean cause(Throwable error, Class<? extends Throwable> type) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private CompletableFuture<?> deadLetter(ConsumerRecord<String, byte[]> record, Rejection rejection) {
        LOG.warn("dead-lettering {}-{}@{} ({}): {}", record.topic(), record.partition(), record.offset(),
                rejection.reason(), rejection.message());
        observer.deadLettered(rejection.reason());
        DeadLetter letter = DeadLetter.of(rejection, record.topic(), record.partition(), record.offset(),
                record.key(), CloudEventRecords.headers(record.headers()), record.value(), publisher.source());
        TopicPartition tp = new TopicPartition(record.topic(), record.partition());
        return publisher.publishDeadLetter(record.key(), letter.toJson())
                .thenRun(() -> attempts.deadLettered(tp, record.offset()));
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
