package io.berth.orchestrator.ingress;

import io.berth.events.kafka.CloudEventRecords;
import io.berth.orchestrator.ingress.EventTranslator.Translation;
import io.berth.orchestrator.publish.EventPublisher;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What becomes of one record: translated, then handed to the orchestrator, or dead-lettered (refused, poison, or
 * failed with anything but a Kafka error). Its future completes when the record is done with — its outputs
 * acknowledged or its dead letter published — and fails when the batch must be read again. Runs on the ingress
 * thread.
 */
final class RecordHandler {
    private static final Logger LOG = LoggerFactory.getLogger(RecordHandler.class);

    private final EventTranslator translator;
    private final EventPublisher publisher;
    private final KafkaIngress.Handler handler;
    private final KafkaIngress.Observer observer;
    private final RecordAttempts attempts;

    RecordHandler(EventTranslator translator, EventPublisher publisher, KafkaIngress.Handler handler,
                  KafkaIngress.Observer observer, RecordAttempts attempts) {
        this.translator = translator;
        this.publisher = publisher;
        this.handler = handler;
        this.observer = observer;
        this.attempts = attempts;
    }

    CompletableFuture<?> handle(ConsumerRecord<String, byte[]> record) {
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
        return cause(error, KafkaException.class);
    }

    /** Kafka's own word that trying again may succeed (the broker away, a leader moving, a timeout). */
    private static boolean isRetriable(Throwable error) {
        return cause(error, RetriableException.class);
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
}
