package io.berth.orchestrator.ingress;

import io.berth.events.Envelope;
import io.berth.events.Topics;
import io.berth.orchestrator.publish.EventPublisher;
import io.berth.orchestrator.state.TaskInput;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
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
 * The range assignor ({@link IngressConsumer}) keeps the two topics co-partitioned: partition N of both goes to one
 * orchestrator. {@link RecordHandler} decides each record's fate, {@link InFlightBatches} commits and rewinds.
 */
public final class KafkaIngress {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaIngress.class);

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
    private final CompletableFuture<Void> assigned = new CompletableFuture<>();
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private final Thread thread;
    private volatile boolean closing;
    private final RecordAttempts attempts = new RecordAttempts(RecordAttempts.DEFAULT_MAX_FAILURES);
    /** Batches handed over whose outputs are not all acknowledged yet. */
    private final InFlightBatches inFlight;

    /** @param consumer see {@link IngressConsumer} */
    public KafkaIngress(Consumer<String, byte[]> consumer, EventTranslator translator, EventPublisher publisher,
                        Handler handler, Observer observer, Duration handleTimeout) {
        this.consumer = consumer;
        RecordHandler records = new RecordHandler(translator, publisher, handler, observer, attempts);
        this.inFlight = new InFlightBatches(consumer, records::handle, attempts, handleTimeout);
        this.thread = new Thread(this::run, "berth-ingress");
        this.thread.setDaemon(true);
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
            consumer.subscribe(List.of(Topics.TASK_EVENTS, Topics.SERVICE_EVENTS), new Rebalance());
            while (!closing) {
                // While batches are in flight, poll briefly so their completion is noticed (and committed) soon.
                ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(Math.min(
                        inFlight.commitDueInMillis(), inFlight.isEmpty() ? 1000 : 5)));
                if (!records.isEmpty()) {
                    inFlight.dispatch(records);
                }
                inFlight.settle();
            }
        } catch (WakeupException e) {
            if (!closing) {
                LOG.error("ingress woken up unexpectedly", e);
            }
        } catch (RuntimeException e) {
            LOG.error("ingress stopped by an unexpected error", e);
            assigned.completeExceptionally(e);
        } finally {
            inFlight.settleAll();
            try {
                consumer.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                LOG.warn("closing the ingress consumer: {}", e.toString());
            }
            assigned.completeExceptionally(new IllegalStateException("ingress stopped"));
            stopped.complete(null);
        }
    }

    /** Settles what is in flight before partitions go, and has their tasks' state restored or dropped. */
    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
            inFlight.settleAll();
            revoked.forEach(attempts::forget);
            dropped(taskPartitions(revoked));
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> lost) {
            // the group moved on without us: whatever we held may already be someone else's
            inFlight.clear();
            lost.forEach(attempts::forget);
            dropped(taskPartitions(lost));
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
                    LOG.warn("restoring the state of partitions {} failed ({}); retrying", owned, e.toString());
                    InFlightBatches.pause(InFlightBatches.RETRY_BACKOFF_MILLIS);
                }
            }
            assigned.complete(null);
        }

        private void dropped(Set<Integer> gone) {
            if (gone.isEmpty()) {
                return;
            }
            try {
                partitions.revoked(gone, partitionCount());
            } catch (RuntimeException e) {
                LOG.error("dropping the state of partitions {} failed", gone, e);
            }
        }
    }

    private static Set<Integer> taskPartitions(Collection<TopicPartition> tps) {
        Set<Integer> out = new TreeSet<>();
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
}
