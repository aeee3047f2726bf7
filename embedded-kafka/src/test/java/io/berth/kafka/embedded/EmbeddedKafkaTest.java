package io.berth.kafka.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaTest {

    @Test
    void producedRecord_isConsumedByAGroup_andTempDirIsRemovedOnClose() throws Exception {
        long t0 = System.nanoTime();
        Path dir;
        long closing;
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            dir = kafka.logDir();
            kafka.createTopics(2, "smoke");
            try (var producer = new KafkaProducer<String, String>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                    ProducerConfig.ACKS_CONFIG, "all",
                    ProducerConfig.LINGER_MS_CONFIG, 0),
                    new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>("smoke", "task-1", "hello")).get();
            }
            System.out.printf("embedded kafka: first acked produce after %d ms%n", (System.nanoTime() - t0) / 1_000_000);

            try (var consumer = new KafkaConsumer<String, String>(Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                    ConsumerConfig.GROUP_ID_CONFIG, "smoke-group",
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                    new StringDeserializer(), new StringDeserializer())) {
                consumer.subscribe(List.of("smoke"));
                List<ConsumerRecord<String, String>> seen = new ArrayList<>();
                long deadline = System.currentTimeMillis() + 30_000;
                while (seen.isEmpty() && System.currentTimeMillis() < deadline) {
                    consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
                }
                assertEquals(1, seen.size());
                assertEquals("task-1", seen.get(0).key());
                assertEquals("hello", seen.get(0).value());
                consumer.commitSync();
            }
            assertTrue(Files.isDirectory(dir));
            closing = System.nanoTime();
        }
        System.out.printf("embedded kafka: stopped in %d ms%n", (System.nanoTime() - closing) / 1_000_000);
        assertFalse(Files.exists(dir), "temporary log dir removed on close");
    }

    @Test
    void givenDirectory_isKeptAndReusedAcrossRestarts(@TempDir Path dir) throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir)) {
            kafka.createTopics(1, "kept");
            send(kafka, "kept", "v1");
        }
        assertTrue(Files.exists(dir.resolve("meta.properties")));
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir)) {
            kafka.createTopics(1, "kept"); // already there: no error
            try (var admin = kafka.admin()) {
                assertTrue(admin.listTopics().names().get().contains("kept"));
            }
        }
    }

    @Test
    void givenDirectory_isItsUsersAlone_soAnotherUserCannotReadTheEvents() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "needs root (reads as another user)");
        // under a directory any user may pass through, as an operator's data directory is
        Path dir = Files.createDirectories(Path.of("/var/lib/berth-test")).resolve("kafka-" + java.util.UUID.randomUUID());
        String secret = "DB_PASSWORD=" + java.util.UUID.randomUUID();
        try {
            try (EmbeddedKafka kafka = EmbeddedKafka.start(dir)) {
                kafka.createTopics(1, "berth.task-events");
                send(kafka, "berth.task-events", secret);
            }
            assertEquals(0, grep(List.of(), secret, dir), "the secret is in the broker's files, for root");
            // what a task's service, running as a uid of its own on the same machine, would try
            assertNotEquals(0, grep(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"), secret, dir),
                    "another user found the secret in the broker's files");
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** grep -r's exit status: 0 found, 1 not found, 2 could not read. */
    private static int grep(List<String> as, String text, Path dir) throws Exception {
        List<String> command = new ArrayList<>(as);
        command.addAll(List.of("grep", "-r", "-q", "-F", text, dir.toString()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        return p.waitFor();
    }

    private static void send(EmbeddedKafka kafka, String topic, String value) throws Exception {
        try (var producer = new KafkaProducer<>(Map.<String, Object>of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, "k", value)).get();
        }
    }
}
