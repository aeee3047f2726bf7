package io.berth.orchestrator.ingress;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.events.EventCodec;
import io.berth.events.EventTypes;
import io.berth.events.Topics;
import io.berth.events.json.Json;
import io.berth.events.payload.TaskEnded;
import io.berth.orchestrator.publish.EventPublisher;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The ingress's commit and retry policy, with Kafka's own in-memory consumer and producer. */
class KafkaIngressTest {
    private static final TopicPartition TP = new TopicPartition(Topics.TASK_EVENTS, 0);
    private final EventCodec ci = new EventCodec("ci://test");
    private final LogConsumer consumer = new LogConsumer();
    private final MockProducer<String, byte[]> producer =
            new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private KafkaIngress ingress;

    @AfterEach
    void stop() throws Exception {
        if (ingress != null) {
            ingress.stop().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void outputNotAcknowledged_recordIsReadAgain_andCommittedOnlyOnceHandled() {
        start((task, attempt) -> task.equals("t1") && attempt == 1
                ? CompletableFuture.failedFuture(new NotEnoughReplicasException("broker away"))
                : CompletableFuture.completedFuture(null));
        feed(ended("t1"), ended("t2"));

        await().atMost(Duration.ofSeconds(10)).until(() -> committed() == 2);
        assertEquals(2, calls.get("t1").get());
        assertEquals(0, producer.history().size());
    }

    @Test
    void handlerBug_deadLettersTheRecordAsProcessingError_andMovesOn() {
        start((task, attempt) -> {
            if (task.equals("t1")) {
                throw new IllegalStateException("bug");
            }
            return CompletableFuture.completedFuture(null);
        });
        feed(ended("t1"), ended("t2"));

        await().atMost(Duration.ofSeconds(10)).until(() -> committed() == 2);
        assertEquals(1, calls.get("t1").get());
        assertEquals(1, calls.get("t2").get());
        assertEquals(1, producer.history().size());
        var letter = producer.history().get(0);
        assertEquals(Topics.DEAD_LETTER, letter.topic());
        assertEquals("t1", letter.key());
        JsonNode json = tree(letter.value());
        assertEquals("processing-error", json.path("reason").asText());
        assertEquals(EventTypes.TASK_ENDED, json.path("event_type").asText());
    }

    @Test
    void invalidRecord_isDeadLettered_withoutReachingTheHandler() {
        start((task, attempt) -> CompletableFuture.completedFuture(null));
        feed("nope".getBytes(StandardCharsets.UTF_8), ended("t2"));

        await().atMost(Duration.ofSeconds(10)).until(() -> committed() == 2);
        assertEquals(Set.of("t2"), calls.keySet());
        assertEquals("malformed-json", tree(producer.history().get(0).value()).path("reason").asText());
    }

    @Test
    void poisonRecord_failingWithANonRetriableKafkaError_isDeadLetteredOnceAfterThreeTries_andTheOffsetMovesOn() {
        start((task, attempt) -> task.equals("t1")
                ? CompletableFuture.failedFuture(new RecordTooLargeException("state record too large"))
                : CompletableFuture.completedFuture(null));
        feed(ended("t1"), ended("t2"));

        await().atMost(Duration.ofSeconds(20)).until(() -> committed() == 2);
        assertEquals(RecordAttempts.DEFAULT_MAX_FAILURES, calls.get("t1").get());
        assertEquals(1, producer.history().size(), "one dead letter, not one per pass");
        JsonNode letter = tree(producer.history().get(0).value());
        assertEquals("processing-error", letter.path("reason").asText());
        org.assertj.core.api.Assertions.assertThat(letter.path("message").asText())
                .contains("3 times", "RecordTooLargeException");
    }

    @Test
    void rejectedRecord_inABatchReadAgain_isDeadLetteredOnce() {
        start((task, attempt) -> task.equals("t2") && attempt <= 3
                ? CompletableFuture.failedFuture(new NotEnoughReplicasException("broker away"))
                : CompletableFuture.completedFuture(null));
        feed("nope".getBytes(StandardCharsets.UTF_8), ended("t2"));

        await().atMost(Duration.ofSeconds(20)).until(() -> committed() == 2);
        assertEquals(4, calls.get("t2").get(), "retriable errors are retried, never dead-lettered");
        assertEquals(1, producer.history().size(), "the batch was read 4 times, its dead letter published once");
        assertEquals("malformed-json", tree(producer.history().get(0).value()).path("reason").asText());
    }

    private interface Behaviour {
        CompletableFuture<Void> handle(String task, int attempt);
    }

    private void start(Behaviour behaviour) {
        EventPublisher publisher = new EventPublisher(producer, new EventCodec("berth://orchestrator/test"), t -> { });
        ingress = new KafkaIngress(consumer, new EventTranslator(new EventCodec("berth://orchestrator/test")),
                publisher, (envelope, input) -> {
                    int attempt = calls.computeIfAbsent(envelope.subject(), k -> new AtomicInteger()).incrementAndGet();
                    return behaviour.handle(envelope.subject(), attempt);
                }, new KafkaIngress.Observer() { }, Duration.ofSeconds(5));
        ingress.start();
    }

    private void feed(byte[]... values) {
        consumer.schedulePollTask(() -> {
            consumer.rebalance(List.of(TP));
            consumer.updateBeginningOffsets(Map.of(TP, 0L));
            for (int i = 0; i < values.length; i++) {
                String key = i == 0 ? "t1" : "t" + (i + 1);
                consumer.append(new ConsumerRecord<>(TP.topic(), TP.partition(), i, key, values[i]));
            }
        });
    }

    /** Kafka's mock consumer, made to behave like a log: seeking back delivers the records again. */
    private static final class LogConsumer extends MockConsumer<String, byte[]> {
        private final List<ConsumerRecord<String, byte[]>> log = new java.util.ArrayList<>();

        LogConsumer() {
            super("earliest");
        }

        synchronized void append(ConsumerRecord<String, byte[]> record) {
            log.add(record);
            addRecord(record);
        }

        @Override
        public synchronized void seek(TopicPartition partition, long offset) {
            super.seek(partition, offset);
            log.stream().filter(r -> r.partition() == partition.partition() && r.offset() >= offset)
                    .forEach(this::addRecord);
        }
    }

    private long committed() {
        OffsetAndMetadata offset = consumer.committed(Set.of(TP)).get(TP);
        return offset == null ? -1 : offset.offset();
    }

    private byte[] ended(String task) {
        return ci.encode(EventTypes.TASK_ENDED, task, new TaskEnded(task, "succeeded"));
    }

    private static JsonNode tree(byte[] json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
