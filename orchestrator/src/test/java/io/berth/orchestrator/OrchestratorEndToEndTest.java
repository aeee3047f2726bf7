package io.berth.orchestrator;

import io.berth.orchestrator.coordinator.TaskCoordinator;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.message.Encoding;
import io.cloudevents.kafka.CloudEventDeserializer;
import io.cloudevents.kafka.CloudEventSerializer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.events.EventCodec;
import io.berth.events.EventTypes;
import io.berth.events.Topics;
import io.berth.events.json.Json;
import io.berth.events.payload.ServiceStarting;
import io.berth.events.payload.SvcVariables;
import io.berth.events.payload.TaskEnded;
import io.berth.events.payload.TaskServicesFailed;
import io.berth.events.payload.TaskServicesReady;
import io.berth.events.payload.TaskServicesReleased;
import io.berth.events.payload.TaskStarted;
import io.berth.kafka.embedded.EmbeddedKafka;
import io.berth.orchestrator.gateway.WorkerInfo;
import io.berth.orchestrator.support.FakeAgent;
import io.berth.orchestrator.support.TopicRecorder.Received;
import io.berth.orchestrator.support.TopicRecorder;
import io.berth.protocol.StartServices;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The orchestrator against a real (embedded) Kafka broker and real gRPC on loopback, with a stand-in agent
 * that speaks the real protocol. One broker and one orchestrator for the whole class; every test uses its
 * own task ids.
 */
@ExtendWith(VertxExtension.class)
class OrchestratorEndToEndTest {
    private static final long PLACEMENT_WAIT_MILLIS = 1_500;
    private static final EventCodec CI = new EventCodec("ci://test-platform");

    private static EmbeddedKafka kafka;
    private static Orchestrator orchestrator;
    private static FakeAgent agent;
    private static TopicRecorder recorder;
    private static KafkaProducer<String, byte[]> ciProducer;

    @BeforeAll
    static void startStack(Vertx vertx, VertxTestContext ctx) {
        long t0 = System.nanoTime();
        kafka = EmbeddedKafka.start();
        long kafkaMillis = (System.nanoTime() - t0) / 1_000_000;
        OrchestratorSettings settings = OrchestratorSettings.builder(kafka.bootstrapServers())
                .grpc("127.0.0.1", 0)
                .placementWait(Duration.ofMillis(PLACEMENT_WAIT_MILLIS))
                .agentTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(1))
                .stopTimeout(Duration.ofSeconds(10))
                .build();
        orchestrator = new Orchestrator(vertx, settings);
        long t1 = System.nanoTime();
        orchestrator.start()
                .compose(v -> {
                    System.out.printf("embedded kafka started in %d ms; orchestrator in %d ms (gRPC port %d)%n",
                            kafkaMillis, (System.nanoTime() - t1) / 1_000_000, orchestrator.grpcPort());
                    ciProducer = new KafkaProducer<>(Map.of(
                            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                            ProducerConfig.ACKS_CONFIG, "all",
                            ProducerConfig.LINGER_MS_CONFIG, 0), new StringSerializer(), new ByteArraySerializer());
                    recorder = new TopicRecorder(kafka.bootstrapServers(), List.of(Topics.TASK_SERVICES, Topics.DEAD_LETTER));
                    agent = new FakeAgent(vertx, "fake-main", orchestrator.grpcPort(), kafka.bootstrapServers(), 100);
                    return agent.connect();
                })
                .onComplete(ctx.succeedingThenComplete());
    }

    @AfterAll
    static void stopStack(Vertx vertx) throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (orchestrator != null) {
            orchestrator.stop().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
        }
        if (recorder != null) {
            recorder.close();
        }
        if (ciProducer != null) {
            ciProducer.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void taskStarted_reachesTheAgent_andReadyCarriesSvcVariablesOfTwoNamedPorts(TestInfo test) {
        String task = taskId(test);
        send(started(task, "fake-main",
                service("postgres", port("default", 5432), port("metrics", 9187)),
                service("redis", port(null, 6379))));

        await().atMost(Duration.ofSeconds(20)).until(() -> !agent.starts(task).isEmpty());
        StartServices start = agent.starts(task).get(0);
        assertEquals(1, start.getGeneration());
        assertEquals(List.of("postgres", "redis"), start.getServicesList().stream().map(s -> s.getName()).toList());
        JsonNode pgConfig = tree(start.getServices(0).getConfigJson());
        assertEquals(9187, pgConfig.path("ports").path(1).path("number").asInt());

        TaskServicesReady ready = awaitEvent(task, EventTypes.TASK_SERVICES_READY).envelope()
                .payload(TaskServicesReady.class);
        assertEquals("fake-main", ready.worker());
        assertEquals("/run/netns/berth-" + task, ready.network().path());
        SvcVariables pg = ready.services().get("postgres");
        assertEquals("127.0.0.1:5432", pg.address());
        assertEquals("127.0.0.1", pg.host());
        assertEquals(5432, pg.port());
        assertEquals(Map.of("default", 5432, "metrics", 9187), pg.ports());
        assertEquals("127.0.0.1:9187", pg.addresses().get("metrics"));
        assertEquals("127.0.0.1:6379", ready.services().get("redis").address());
        assertEquals(1, recorder.count(Topics.TASK_SERVICES, task, EventTypes.TASK_SERVICES_READY));
    }

    @Test
    void failingService_publishesFailedOnce_stopsTheTask_andReleasesIt(TestInfo test) {
        String task = taskId(test);
        send(started(task, "fake-main",
                service("db", port(null, 5432)),
                withParams(service("cache", port(null, 6379)), Map.of("FAKE_FAIL", "probe failed 3 times"))));

        TaskServicesFailed failed = awaitEvent(task, EventTypes.TASK_SERVICES_FAILED).envelope()
                .payload(TaskServicesFailed.class);
        assertEquals("cache", failed.service());
        assertEquals("probe failed 3 times", failed.reason());
        assertEquals(List.of("starting cache", "fatal: probe failed 3 times"), failed.logTail());
        assertEquals("fake-main", failed.worker());

        TaskServicesReleased released = awaitEvent(task, EventTypes.TASK_SERVICES_RELEASED).envelope()
                .payload(TaskServicesReleased.class);
        assertEquals(List.of("db", "cache"), released.services().stream().map(s -> s.name()).toList());
        assertEquals(1, agent.stops(task));
        assertEquals(1, recorder.count(Topics.TASK_SERVICES, task, EventTypes.TASK_SERVICES_FAILED));
        assertEquals(0, recorder.count(Topics.TASK_SERVICES, task, EventTypes.TASK_SERVICES_READY));

        // the CI platform's task.ended after the failure changes nothing
        send(ended(task));
        String probe = taskId(test) + "-after";
        send(started(probe, "fake-main", service("x", port(null, 1000))));
        awaitEvent(probe, EventTypes.TASK_SERVICES_READY);
        assertEquals(1, agent.stops(task));
        assertEquals(1, recorder.count(Topics.TASK_SERVICES, task, EventTypes.TASK_SERVICES_RELEASED));
    }

    @Test
    void taskEnded_stopsServices_andReleasedCarriesEachSignal(TestInfo test) {
        String task = taskId(test);
        send(started(task, "fake-main",
                service("web", port(null, 8080)),
                withParams(service("stubborn", port(null, 9000)), Map.of("FAKE_SIGNAL", "SIGKILL"))));
        awaitEvent(task, EventTypes.TASK_SERVICES_READY);
        assertEquals(0, agent.stops(task));

        send(ended(task));
        TaskServicesReleased released = awaitEvent(task, EventTypes.TASK_SERVICES_RELEASED).envelope()
                .payload(TaskServicesReleased.class);
        assertEquals(1, agent.stops(task));
        assertEquals(List.of(
                new TaskServicesReleased.ServiceRelease("web", "SIGTERM", 12, 0),
                new TaskServicesReleased.ServiceRelease("stubborn", "SIGKILL", 10_003, 137)), released.services());
        assertEquals("fake-main", released.worker());
    }

    @Test
    void duplicateTaskStarted_startsServicesOnce(TestInfo test) {
        String task = taskId(test);
        byte[] startedEvent = started(task, "fake-main", service("pg", port(null, 5432)));
        send(startedEvent);
        send(startedEvent);                                            // a replay: same source and id
        send(started(task, "fake-main", service("pg", port(null, 5432)))); // a second task.started, new id
        awaitEvent(task, EventTypes.TASK_SERVICES_READY);
        send(ended(task));
        awaitEvent(task, EventTypes.TASK_SERVICES_RELEASED);           // every earlier record was handled

        assertEquals(1, agent.starts(task).size());
        assertEquals(1, recorder.count(Topics.TASK_SERVICES, task, EventTypes.TASK_SERVICES_READY));
    }

    @Test
    void endedBeforeStarted_neverStartsServices_andReleasesWithNone(TestInfo test) {
        String task = taskId(test);
        send(ended(task));
        send(started(task, "fake-main", service("pg", port(null, 5432))));

        TaskServicesReleased released = awaitEvent(task, EventTypes.TASK_SERVICES_RELEASED).envelope()
                .payload(TaskServicesReleased.class);
        assertTrue(released.services().isEmpty());
        assertTrue(agent.starts(task).isEmpty());
        assertEquals(0, recorder.count(Topics.TASK_SERVICES, task, EventTypes.TASK_SERVICES_READY));
    }

    @Test
    void badRecords_goToTheDeadLetterTopicWithReason_andDoNotBlockThePartition(TestInfo test) throws Exception {
        String task = taskId(test);
        byte[] notJson = "{not json".getBytes(StandardCharsets.UTF_8);
        byte[] unknownType = withType(started(task, "fake-main", service("pg", port(null, 5432))), "berth.task.paused.v1");
        byte[] badConfig = started(task, "fake-main", service("pg", port(null, 70_000)));
        byte[] noServices = CI.encode(EventTypes.TASK_STARTED, task, new TaskStarted(task, "fake-main", null, List.of(), Map.of()));
        byte[] misplaced = CI.encode(EventTypes.SERVICE_STARTING, task, new ServiceStarting(task, "pg", "w", 1, 1L));
        byte[] binary = {(byte) 0xc3, (byte) 0x28, 0x00};
        for (byte[] value : List.of(notJson, unknownType, badConfig, noServices, misplaced, binary)) {
            send(task, value);
        }
        // the valid event behind them, on the same partition, goes through
        int partitions = orchestrator.settings().kafka().topicPartitions();
        String next = java.util.stream.IntStream.range(0, 1000).mapToObj(i -> task + "-next-" + i)
                .filter(id -> io.berth.orchestrator.ingress.StateReader.partitionOf(id, partitions)
                        == io.berth.orchestrator.ingress.StateReader.partitionOf(task, partitions))
                .findFirst().orElseThrow();
        send(next, started(next, "fake-main", service("pg", port(null, 5432))));
        awaitEvent(next, EventTypes.TASK_SERVICES_READY);
        // and the refused task.started whose task id could be read was answered, not only dead-lettered
        TaskServicesFailed answer = awaitEvent(task, EventTypes.TASK_SERVICES_FAILED).envelope()
                .payload(TaskServicesFailed.class);
        assertTrue(answer.reason().contains("$.data.services[0].config.ports[0].number"), answer.reason());
        awaitEvent(task, EventTypes.TASK_SERVICES_RELEASED);

        await().atMost(Duration.ofSeconds(10)).until(() -> recorder.all(Topics.DEAD_LETTER, task).size() == 6);
        List<JsonNode> letters = recorder.all(Topics.DEAD_LETTER, task).stream().map(r -> tree(r.value())).toList();
        assertEquals(List.of("malformed-json", "unknown-type", "invalid-service-config", "no-services",
                "unexpected-type", "malformed-json"), letters.stream().map(l -> l.path("reason").asText()).toList());

        JsonNode first = letters.get(0);
        assertEquals(Topics.TASK_EVENTS, first.path("topic").asText());
        assertTrue(first.has("partition") && first.has("offset"));
        assertEquals("{not json", first.path("original").asText());
        assertEquals("utf-8", first.path("original_encoding").asText());
        assertTrue(first.path("errors").path(0).path("message").asText().startsWith("malformed JSON"));

        JsonNode config = letters.get(2);
        assertTrue(config.path("errors").toString().contains("$.data.services[0].config.ports[0].number"),
                config.toString());
        assertEquals(EventTypes.TASK_STARTED, config.path("event_type").asText());

        JsonNode unknown = letters.get(1);
        assertEquals("berth.task.paused.v1", unknown.path("event_type").asText());

        JsonNode bytes = letters.get(5);
        assertEquals("base64", bytes.path("original_encoding").asText());
        assertTrue(Arrays.equals(binary, java.util.Base64.getDecoder().decode(bytes.path("original").asText())));
        assertEquals(0, agent.starts(task).size());
        assertEquals(1, agent.starts(next).size());

        double deadLetters = orchestrator.meterRegistry().find("berth.dead.letters").counters().stream()
                .mapToDouble(c -> c.count()).sum();
        assertTrue(deadLetters >= 6, "dead letters counted: " + deadLetters);
    }

    /**
     * A CI platform written against the official CloudEvents SDK, with its defaults: binary mode (attributes in
     * {@code ce_*} headers, no subject: the key names the task) and structured mode, for every input type; it reads
     * Berth's outputs with the SDK's deserializer, which needs the structured-mode content-type header.
     */
    @ParameterizedTest(name = "{0} mode")
    @EnumSource(value = Encoding.class, names = {"BINARY", "STRUCTURED"})
    void ciPlatformOnTheCloudEventsSdk_drivesATask_andReadsEveryOutput(Encoding mode, TestInfo test) throws Exception {
        String task = taskId(test) + "-" + mode.name().toLowerCase();
        Map<String, Object> producerConfig = new java.util.HashMap<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, CloudEventSerializer.class,
                CloudEventSerializer.ENCODING_CONFIG, mode));
        if (mode == Encoding.STRUCTURED) {
            producerConfig.put(CloudEventSerializer.EVENT_FORMAT_CONFIG, io.cloudevents.jackson.JsonFormat.CONTENT_TYPE);
        }
        JsonNode startedData = tree(started(task, "fake-main", service("pg", port(null, 5432)))).get("data");
        try (var sdk = new KafkaProducer<String, CloudEvent>(producerConfig);
             var outputs = new KafkaConsumer<String, CloudEvent>(Map.of(
                     ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                     ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10,
                     ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                     ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                     ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, CloudEventDeserializer.class))) {
            var partitions = outputs.partitionsFor(Topics.TASK_SERVICES).stream()
                    .map(info -> new TopicPartition(Topics.TASK_SERVICES, info.partition())).toList();
            outputs.assign(partitions);
            outputs.seekToBeginning(partitions);

            sdk.send(new ProducerRecord<>(Topics.TASK_EVENTS, task, sdkEvent(EventTypes.TASK_STARTED, task, startedData,
                    mode))).get();
            CloudEvent ready = awaitSdk(outputs, task, EventTypes.TASK_SERVICES_READY);
            assertEquals(task, ready.getSubject());
            assertEquals(task, Json.MAPPER.readTree(ready.getData().toBytes()).path("task_id").asText());

            sdk.send(new ProducerRecord<>(Topics.TASK_EVENTS, task, sdkEvent(EventTypes.TASK_HEARTBEAT, task,
                    Json.tree(new io.berth.events.payload.TaskHeartbeat(task, 60)), mode))).get();
            sdk.send(new ProducerRecord<>(Topics.TASK_EVENTS, task, sdkEvent(EventTypes.TASK_ENDED, task,
                    Json.tree(new TaskEnded(task, "succeeded")), mode))).get();
            CloudEvent released = awaitSdk(outputs, task, EventTypes.TASK_SERVICES_RELEASED);
            assertEquals("application/json", released.getDataContentType());
        }
        assertEquals(List.of(), recorder.all(Topics.DEAD_LETTER, task), "nothing of the task was dead-lettered");
    }

    /** An event as the SDK's user builds it; in binary mode without a subject (the record key names the task). */
    private static CloudEvent sdkEvent(String type, String task, JsonNode data, Encoding mode) {
        var builder = io.cloudevents.core.builder.CloudEventBuilder.v1()
                .withId(java.util.UUID.randomUUID().toString())
                .withSource(java.net.URI.create("ci://sdk-platform"))
                .withType(type)
                .withTime(java.time.OffsetDateTime.now())
                .withDataContentType("application/json")
                .withData(Json.bytes(data));
        return (mode == Encoding.BINARY ? builder : builder.withSubject(task)).build();
    }

    private static CloudEvent awaitSdk(KafkaConsumer<String, CloudEvent> consumer, String task, String type) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            for (var record : consumer.poll(Duration.ofMillis(100))) {
                if (task.equals(record.key()) && record.value().getType().equals(type)) {
                    return record.value();
                }
            }
        }
        throw new AssertionError("the SDK read no " + type + " for " + task);
    }

    @Test
    void namedWorkerThatNeverConnects_failsTheTaskAfterThePlacementWait(TestInfo test) {
        String task = taskId(test);
        long t0 = System.nanoTime();
        send(started(task, "ghost-worker", service("pg", port(null, 5432))));

        TaskServicesFailed failed = awaitEvent(task, EventTypes.TASK_SERVICES_FAILED).envelope()
                .payload(TaskServicesFailed.class);
        long waited = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(waited >= PLACEMENT_WAIT_MILLIS, "failed after " + waited + " ms");
        assertTrue(failed.reason().contains("requested-worker"), failed.reason());
        assertTrue(failed.reason().contains("ghost-worker"), failed.reason());
        assertEquals(null, failed.service());
        awaitEvent(task, EventTypes.TASK_SERVICES_RELEASED);
    }

    @Test
    void namedWorkerConnectingWithinTheWait_getsItsTask(Vertx vertx, TestInfo test) throws Exception {
        String task = taskId(test);
        send(started(task, "late-worker", service("pg", port(null, 5432))));
        try (FakeAgent late = new FakeAgent(vertx, "late-worker", orchestrator.grpcPort(), kafka.bootstrapServers(), 10)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> orchestrator.queries().tasks().toCompletionStage()
                    .toCompletableFuture().get().stream().anyMatch(t -> t.taskId().equals(task)));
            late.connect().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            TaskServicesReady ready = awaitEvent(task, EventTypes.TASK_SERVICES_READY).envelope()
                    .payload(TaskServicesReady.class);
            assertEquals("late-worker", ready.worker());
            assertEquals(1, late.starts(task).size());
        }
    }

    @Test
    void unnamedTask_isPlacedOnAConnectedAgent(TestInfo test) {
        String task = taskId(test);
        send(started(task, null, service("pg", port(null, 5432))));
        TaskServicesReady ready = awaitEvent(task, EventTypes.TASK_SERVICES_READY).envelope()
                .payload(TaskServicesReady.class);
        assertNotNull(ready.worker());
        assertEquals("fake-main", ready.worker()); // the only agent connected for the whole class
    }

    @Test
    void newStreamFromTheSameWorker_replacesTheOldOne(Vertx vertx) throws Exception {
        try (FakeAgent first = new FakeAgent(vertx, "twin", orchestrator.grpcPort(), kafka.bootstrapServers(), 5);
             FakeAgent second = new FakeAgent(vertx, "twin", orchestrator.grpcPort(), kafka.bootstrapServers(), 7)) {
            first.connect().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            second.connect().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            first.streamEnded().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            List<WorkerInfo> twins = orchestrator.queries().workers().toCompletionStage().toCompletableFuture().get()
                    .stream().filter(w -> w.worker().equals("twin")).toList();
            assertEquals(1, twins.size());
            assertTrue(twins.get(0).connected());
            assertEquals(7, twins.get(0).capacity());
        }
    }

    @Test
    void silentAgent_isDisconnected_thenLost_andItsRunningTaskIsTold(Vertx vertx, TestInfo test) throws Exception {
        String task = taskId(test);
        try (FakeAgent hung = new FakeAgent(vertx, "hung", orchestrator.grpcPort(), kafka.bootstrapServers(), 10)) {
            hung.connect().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            send(started(task, "hung", service("pg", port(null, 5432))));
            awaitEvent(task, EventTypes.TASK_SERVICES_READY);
            hung.goSilent();
            TaskServicesFailed failed = awaitEvent(task, EventTypes.TASK_SERVICES_FAILED).envelope()
                    .payload(TaskServicesFailed.class);
            assertTrue(failed.reason().contains("hung lost"), failed.reason());
            assertTrue(orchestrator.queries().workers().toCompletionStage().toCompletableFuture().get().stream()
                    .noneMatch(w -> w.worker().equals("hung")));
        }
        // The agent comes back, still running the service: it is told to stop it, and the task is released.
        try (FakeAgent back = new FakeAgent(vertx, "hung", orchestrator.grpcPort(), kafka.bootstrapServers(), 10)
                .running(task, "pg")) {
            back.connect().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            TaskServicesReleased released = awaitEvent(task, EventTypes.TASK_SERVICES_RELEASED).envelope()
                    .payload(TaskServicesReleased.class);
            assertEquals(1, back.stops(task));
            assertEquals("pg", released.services().get(0).name());
        }
    }

    @Test
    void agentRunningATaskNobodyKnows_isToldToStopIt_afterTheGracePeriod(Vertx vertx, TestInfo test) throws Exception {
        String task = taskId(test); // never started through Berth (or forgotten long ago): its partition is ours
        try (FakeAgent stray = new FakeAgent(vertx, "stray", orchestrator.grpcPort(), kafka.bootstrapServers(), 10)
                .running(task, "pg")) {
            long t0 = System.nanoTime();
            stray.connect().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                    .until(() -> stray.stops(task) == 1);
            long afterMillis = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(afterMillis >= TaskCoordinator.UNKNOWN_TASK_GRACE.toMillis(), "stopped after " + afterMillis + " ms");
            assertEquals(0, stray.starts(task).size());
        }
    }

    @Test
    void readyOverhead_withAnAgentThatIsReadyAtOnce(TestInfo test) {
        int runs = 30;
        List<Long> micros = new ArrayList<>();
        List<Long> toAgent = new ArrayList<>();
        List<Long> lastHop = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            String task = taskId(test) + "-" + i;
            long t0 = System.nanoTime();
            send(started(task, "fake-main", service("pg", port(null, 5432)), service("redis", port(null, 6379))));
            Received ready = awaitEvent(task, EventTypes.TASK_SERVICES_READY);
            micros.add((ready.receivedAtNanos() - t0) / 1_000);
            toAgent.add((agent.startArrivedAtNanos(task) - t0) / 1_000);
            lastHop.add((ready.receivedAtNanos() - agent.lastReadySentAtNanos(task)) / 1_000);
            send(ended(task));
            awaitEvent(task, EventTypes.TASK_SERVICES_RELEASED); // measure the next task on an idle system
        }
        List<Long> sorted = micros.stream().sorted().toList();
        System.out.printf("task.started -> task.services.ready (2 services, fake agent, 4 Kafka hops + gRPC): "
                        + "p50 %.2f ms, p90 %.2f ms, max %.2f ms over %d runs (first run %.2f ms)%n",
                sorted.get(runs / 2) / 1000.0, sorted.get(runs * 9 / 10) / 1000.0, sorted.get(runs - 1) / 1000.0,
                runs, micros.get(0) / 1000.0);
        List<Long> sortedToAgent = toAgent.stream().sorted().toList();
        System.out.printf("  of which task.started sent -> StartServices at the agent: p50 %.2f ms, p90 %.2f ms%n",
                sortedToAgent.get(runs / 2) / 1000.0, sortedToAgent.get(runs * 9 / 10) / 1000.0);
        List<Long> sortedLastHop = lastHop.stream().sorted().toList();
        System.out.printf("  last service.ready sent by the agent -> task.services.ready received (2 Kafka hops"
                        + " + orchestrator): p50 %.2f ms, p90 %.2f ms%n",
                sortedLastHop.get(runs / 2) / 1000.0, sortedLastHop.get(runs * 9 / 10) / 1000.0);
        var timer = orchestrator.meterRegistry().find("berth.task.ready").timer();
        assertNotNull(timer);
        System.out.printf("orchestrator's own started->ready timer: mean %.2f ms over %d tasks%n",
                timer.mean(TimeUnit.MILLISECONDS), timer.count());
        assertTrue(sorted.get(runs / 2) < 1_000_000, "p50 under a second");
    }

    // ---- helpers

    private static String taskId(TestInfo test) {
        String method = test.getTestMethod().map(m -> m.getName()).orElse("t");
        return method.substring(0, Math.min(24, method.length())) + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static Received awaitEvent(String task, String type) {
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(2))
                .until(() -> recorder.first(Topics.TASK_SERVICES, task, type).isPresent());
        return recorder.first(Topics.TASK_SERVICES, task, type).orElseThrow();
    }

    /** Sends to the task topic keyed by the event's subject (the task id). */
    private static void send(byte[] value) {
        send(tree(value).path("subject").asText(), value);
    }

    private static void send(String key, byte[] value) {
        try {
            ciProducer.send(new ProducerRecord<>(Topics.TASK_EVENTS, key, value)).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] started(String task, String worker, Map<String, Object>... services) {
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("task_id", task);
        if (worker != null) {
            payload.put("worker", worker);
        }
        payload.put("services", List.of(services));
        JsonNode data = Json.MAPPER.valueToTree(payload);
        // Built as a tree so invalid configs reach the wire unchanged (the codec validates on decode only).
        byte[] valid = CI.encode(EventTypes.TASK_STARTED, task, new TaskStarted(task, worker, null, List.of(), Map.of()));
        var envelope = (com.fasterxml.jackson.databind.node.ObjectNode) tree(valid);
        envelope.set("data", data);
        return Json.bytes(envelope);
    }

    private static byte[] ended(String task) {
        return CI.encode(EventTypes.TASK_ENDED, task, new TaskEnded(task, "succeeded"));
    }

    private static Map<String, Object> service(String name, Map<String, Object>... ports) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("run", Map.of("path", "/bin/" + name));
        config.put("ports", List.of(ports));
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("name", name);
        entry.put("config", config);
        return entry;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> withParams(Map<String, Object> service, Map<String, Object> params) {
        ((Map<String, Object>) service.get("config")).put("params", params);
        return service;
    }

    private static Map<String, Object> port(String name, int number) {
        Map<String, Object> port = new LinkedHashMap<>();
        if (name != null) {
            port.put("name", name);
        }
        port.put("number", number);
        return port;
    }

    private static byte[] withType(byte[] event, String type) {
        var node = (com.fasterxml.jackson.databind.node.ObjectNode) tree(event);
        node.put("type", type);
        return Json.bytes(node);
    }

    private static JsonNode tree(String json) {
        return tree(json.getBytes(StandardCharsets.UTF_8));
    }

    private static JsonNode tree(byte[] json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
