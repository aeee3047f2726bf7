package io.berth.agent.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.kafka.embedded.EmbeddedKafka;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's sender against a real broker that goes away: a record Kafka does not acknowledge within its delivery
 * timeout is sent again until the broker is back (a broker restart delays the agent's events, never loses them);
 * an error no retry cures fails the send at once; closing the sender fails what still waits.
 */
class KafkaSenderTest {
    private static final String TOPIC = "sender-test";
    /** Short, so that an attempt fails (and the record is sent again) while the broker is away. */
    private static final int DELIVERY_TIMEOUT_MILLIS = 2_000;

    @TempDir
    Path dir;
    private EmbeddedKafka kafka;
    private int port;
    private KafkaSender sender;
    private KafkaProducer<String, byte[]> producer;

    @BeforeEach
    void broker() throws Exception {
        kafka = EmbeddedKafka.builder().logDir(dir.resolve("kafka")).start();
        String bootstrap = kafka.bootstrapServers();
        port = Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1));
        kafka.createTopics(1, TOPIC);
        producer = new KafkaProducer<>(producerConfig(bootstrap));
        sender = new KafkaSender(producer, "sender-test");
        await(sender.send(record("warm-up"))); // the producer has the topic's metadata, as a running agent's has
    }

    @AfterEach
    void close() {
        sender.close(Duration.ofSeconds(1));
        kafka.close();
    }

    @Test
    void aRecordTheBrokerDoesNotAcknowledge_isSentAgainUntilItIs_andArrives() throws Exception {
        kafka.close();
        Future<RecordMetadata> sent = sender.send(record("while-away"));
        awaitFailedAttempts(1);
        assertThat(sent.isComplete()).as("a send that timed out is not given up").isFalse();

        kafka = EmbeddedKafka.builder().logDir(dir.resolve("kafka")).port(port).start();
        await(sent);
        assertThat(values("while-away")).contains("while-away")
                .allMatch(v -> v.equals("warm-up") || v.equals("while-away"));
    }

    @Test
    void aRecordNoRetryCanDeliver_failsAtOnce() {
        byte[] tooLarge = new byte[64 * 1024];
        Future<RecordMetadata> sent = sender.send(new ProducerRecord<>(TOPIC, "k", tooLarge));
        assertThatThrownBy(() -> await(sent)).hasCauseInstanceOf(RecordTooLargeException.class);
    }

    @Test
    void closingTheSender_failsWhatStillWaits() throws Exception {
        kafka.close();
        Future<RecordMetadata> sent = sender.send(record("never"));
        awaitFailedAttempts(1); // then it waits to be sent again
        sender.close(Duration.ofMillis(200));
        assertThatThrownBy(() -> await(sent)).isInstanceOf(ExecutionException.class);
    }

    private static ProducerRecord<String, byte[]> record(String value) {
        return new ProducerRecord<>(TOPIC, "k", value.getBytes(StandardCharsets.UTF_8));
    }

    private static RecordMetadata await(Future<RecordMetadata> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    /** Until the producer counts {@code n} records whose attempt failed (its delivery timed out). */
    private void awaitFailedAttempts(int n) {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> producer.metrics().entrySet()
                .stream().filter(m -> m.getKey().name().equals("record-error-total")
                        && m.getKey().group().equals("producer-metrics"))
                .mapToDouble(m -> (Double) m.getValue().metricValue()).sum() >= n);
    }

    /** The topic's values, read until {@code awaited} is among them (at most 30 s). */
    private List<String> values(String awaited) {
        try (var consumer = new KafkaConsumer<String, byte[]>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "sender-test-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
            consumer.subscribe(List.of(TOPIC));
            List<String> values = new ArrayList<>();
            long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!values.contains(awaited) && System.nanoTime() < until) {
                consumer.poll(Duration.ofMillis(500))
                        .forEach(r -> values.add(new String(r.value(), StandardCharsets.UTF_8)));
            }
            return values;
        }
    }

    /** The agent's producer settings, with timeouts short enough for a test. */
    private static Properties producerConfig(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 1_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, DELIVERY_TIMEOUT_MILLIS / 2);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, DELIVERY_TIMEOUT_MILLIS);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 * 1024);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return p;
    }
}
