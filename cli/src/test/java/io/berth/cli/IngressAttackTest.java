package io.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.events.EventTypes;
import io.berth.events.Topics;
import io.berth.events.json.Json;
import io.berth.orchestrator.OrchestratorSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A buggy CI producer against the real broker and orchestrator (issue 15, items 2 and 6): a 7,000-service
 * {@code task.started}, param names with '=', a grace of 1e308 — each rejected at the door with one dead letter (its
 * secrets masked), never placed; the partition is committed past them and the next task is served.
 */
class IngressAttackTest {
    private static final String SECRET = "door-secret-horse-staple";
    private static EmbeddedStack stack;
    private static TaskDriver driver;

    @BeforeAll
    static void startStack() {
        stack = EmbeddedStack.start(new EmbeddedStack.Options(0, 0, null, "door-worker", -1, null, -1), null);
        driver = new TaskDriver(stack.bootstrapServers());
    }

    @AfterAll
    static void stopStack() {
        if (driver != null) {
            driver.close();
        }
        if (stack != null) {
            TestStacks.close(stack);
        }
    }

    private static ObjectNode service(ArrayNode services, String name) {
        ObjectNode service = services.addObject().put("name", name);
        ObjectNode config = service.putObject("config");
        config.putObject("run").put("path", "/bin/sh").putArray("args").add("-c").add("exec sleep 600");
        config.putObject("params").put("POSTGRES_PASSWORD", SECRET);
        return config;
    }

    private static byte[] taskStarted(String task, ObjectNode data) {
        ObjectNode event = Json.MAPPER.createObjectNode().put("specversion", "1.0").put("id", task + "-1")
                .put("source", "ci://buggy").put("type", EventTypes.TASK_STARTED).put("subject", task);
        data.put("task_id", task);
        event.set("data", data);
        return Json.bytes(event);
    }

    @Test
    void hugeAndInvalidTasks_areDeadLetteredOnceEach_secretsMasked_andTheNextTaskIsServed() throws Exception {
        Map<String, String> expectedReason = new HashMap<>();
        String huge = TaskDriver.newTaskId();
        ObjectNode hugeData = Json.MAPPER.createObjectNode();
        ArrayNode many = hugeData.putArray("services");
        for (int i = 0; i < 7_000; i++) {
            service(many, "s" + i);
        }
        byte[] hugeEvent = taskStarted(huge, hugeData);
        assertThat(hugeEvent.length).as("the issue's 748 KB event").isGreaterThan(700_000);
        driver.publishRaw(huge, hugeEvent);
        expectedReason.put(huge, "too-large");

        String tooMany = TaskDriver.newTaskId(); // small enough, but more services than a task may have
        ObjectNode tooManyData = Json.MAPPER.createObjectNode();
        ArrayNode forty = tooManyData.putArray("services");
        for (int i = 0; i < 40; i++) {
            service(forty, "s" + i);
        }
        driver.publishRaw(tooMany, taskStarted(tooMany, tooManyData));
        expectedReason.put(tooMany, "invalid-event");

        String equals = TaskDriver.newTaskId();
        ObjectNode equalsData = Json.MAPPER.createObjectNode();
        service(equalsData.putArray("services"), "db").with("params").put("A=B", "x");
        driver.publishRaw(equals, taskStarted(equals, equalsData));
        expectedReason.put(equals, "invalid-service-config");

        String grace = TaskDriver.newTaskId();
        ObjectNode graceData = Json.MAPPER.createObjectNode();
        service(graceData.putArray("services"), "db").put("termination_grace_seconds", 1e308);
        driver.publishRaw(grace, taskStarted(grace, graceData));
        expectedReason.put(grace, "invalid-service-config");

        // the partitions move on: a good task after them is served
        String good = TaskDriver.newTaskId();
        driver.start(good, Map.of("svc", "run: {path: /bin/sh, args: [-c, 'exec sleep 600']}\n"));
        driver.await(good, EventTypes.TASK_SERVICES_READY, Duration.ofSeconds(60));
        driver.end(good);
        driver.await(good, EventTypes.TASK_SERVICES_RELEASED, Duration.ofSeconds(60));

        await().atMost(Duration.ofSeconds(30)).until(() -> allCommitted());
        Map<String, List<JsonNode>> letters = deadLetters();
        for (var expected : expectedReason.entrySet()) {
            List<JsonNode> mine = letters.getOrDefault(expected.getKey(), List.of());
            assertThat(mine).as("dead letters of " + expected.getValue()).hasSize(1);
            JsonNode letter = mine.get(0);
            assertThat(letter.path("reason").asText()).isEqualTo(expected.getValue());
            assertThat(letter.toString()).as("secrets masked in the dead letter").doesNotContain(SECRET);
            // the CI platform is answered too: failed, with the dead letter's reason
            assertThat(driver.await(expected.getKey(), EventTypes.TASK_SERVICES_FAILED, Duration.ofSeconds(30))
                    .payload(io.berth.events.payload.TaskServicesFailed.class).toString()).doesNotContain(SECRET);
            driver.drain(expected.getKey(), Duration.ofMillis(200)); // whatever came after the answer, too
            assertThat(driver.events(expected.getKey())).as("never placed or started")
                    .noneMatch(e -> e.type().equals(EventTypes.TASK_SERVICES_READY)
                            || e.type().equals(EventTypes.SERVICE_STARTING));
        }
        assertThat(letters.get(huge).get(0).path("original_truncated").asBoolean()).isTrue();
        assertThat(letters.get(equals).get(0).path("original").asText()).contains("******");
        assertThat(letters.get(equals).get(0).path("message").asText()).contains("params");
    }

    @Test
    void inputsOutsideTheInputRoots_areRefused_atTheDoor_andByTheAgentWhenALinkLeadsOut() throws Exception {
        // as written: /etc is under no root (the stack's roots are its working directory and the temp directory)
        String etc = TaskDriver.newTaskId();
        ObjectNode etcData = Json.MAPPER.createObjectNode();
        service(etcData.putArray("services"), "db").putArray("inputs").add("conf");
        etcData.putObject("inputs").put("conf", "/etc");
        driver.publishRaw(etc, taskStarted(etc, etcData));

        // a link under a root that leads out passes the door (the path is the worker's) and is refused there
        Path linkDir = java.nio.file.Files.createTempDirectory("berth-input-");
        Path link = java.nio.file.Files.createSymbolicLink(linkDir.resolve("conf"), Path.of("/etc"));
        try {
            String linked = TaskDriver.newTaskId();
            ObjectNode linkedData = Json.MAPPER.createObjectNode();
            service(linkedData.putArray("services"), "db").putArray("inputs").add("conf");
            linkedData.putObject("inputs").put("conf", link.toString());
            driver.publishRaw(linked, taskStarted(linked, linkedData));
            var failed = driver.await(linked, EventTypes.TASK_SERVICES_FAILED, Duration.ofSeconds(60));
            assertThat(failed.payload(io.berth.events.payload.TaskServicesFailed.class).toString())
                    .contains("input 'conf'").contains("not under an input root");
            driver.drain(linked, Duration.ofMillis(200));
            assertThat(driver.events(linked)).noneMatch(e -> e.type().equals(EventTypes.SERVICE_STARTING));
        } finally {
            java.nio.file.Files.deleteIfExists(link);
            java.nio.file.Files.deleteIfExists(linkDir);
        }

        await().atMost(Duration.ofSeconds(30)).until(() -> allCommitted());
        List<JsonNode> letters = deadLetters().getOrDefault(etc, List.of());
        assertThat(letters).hasSize(1);
        assertThat(letters.get(0).path("reason").asText()).isEqualTo("invalid-event");
        assertThat(letters.get(0).path("errors").get(0).path("path").asText()).isEqualTo("$.data.inputs.conf");
        assertThat(letters.get(0).path("message").asText()).contains("not under an input root");
    }

    /** Every record of berth.task-events is committed by the orchestrators' group. */
    private static boolean allCommitted() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()))) {
            var committed = admin.listConsumerGroupOffsets(OrchestratorSettings.DEFAULT_GROUP_ID)
                    .partitionsToOffsetAndMetadata().get();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            admin.describeTopics(List.of(Topics.TASK_EVENTS)).allTopicNames().get().get(Topics.TASK_EVENTS)
                    .partitions().forEach(p -> latest.put(new TopicPartition(Topics.TASK_EVENTS, p.partition()),
                            OffsetSpec.latest()));
            var ends = admin.listOffsets(latest).all().get();
            for (var end : ends.entrySet()) {
                var c = committed.get(end.getKey());
                if (end.getValue().offset() > 0 && (c == null || c.offset() < end.getValue().offset())) {
                    return false;
                }
            }
            return true;
        }
    }

    /** Every dead letter so far, by key. */
    private static Map<String, List<JsonNode>> deadLetters() throws Exception {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 << 20);
        Map<String, List<JsonNode>> out = new HashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            consumer.partitionsFor(Topics.DEAD_LETTER, Duration.ofSeconds(30))
                    .forEach(info -> partitions.add(new TopicPartition(Topics.DEAD_LETTER, info.partition())));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    out.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(Json.MAPPER.readTree(r.value()));
                }
                return partitions.stream().allMatch(tp -> consumer.position(tp) >= ends.get(tp));
            });
        }
        return out;
    }
}
