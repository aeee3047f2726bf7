package io.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.berth.agent.AgentSettings;
import io.berth.agent.boot.WorkerAgent;
import io.berth.agent.link.LinkSettings;
import io.berth.events.EventCodec;
import io.berth.events.EventTypes;
import io.berth.events.Topics;
import io.berth.events.config.ServiceConfigs;
import io.berth.events.config.ServiceRequest;
import io.berth.events.payload.TaskEnded;
import io.berth.events.payload.TaskServicesFailed;
import io.berth.events.payload.TaskServicesReleased;
import io.berth.events.payload.TaskStarted;
import io.berth.kafka.embedded.EmbeddedKafka;
import io.berth.orchestrator.Orchestrator;
import io.berth.orchestrator.OrchestratorSettings;
import io.berth.orchestrator.api.AdminSettings;
import io.berth.orchestrator.ingress.StateReader;
import io.berth.orchestrator.view.TaskView;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 4's reliability promises against the real things: an embedded broker (one per test, so no state or
 * consumer group leaks between tests), orchestrators, one worker agent running real processes in network
 * namespaces. Every test counts the events of every task: exactly one {@code service.starting} per service,
 * exactly one {@code ready} and one {@code released} per task, a {@code service.stopped} for every started service.
 */
class ReliabilityTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    /** A service that is up at once and stops on SIGTERM: the test is about events, not about the service. */
    private static final String SLEEPER = """
            run: {path: /bin/sleep, args: ["600"]}
            startup_probe: {run: {path: /bin/true}, failure_threshold: 3, period_seconds: 1}
            termination_grace_seconds: 2
            """;

    private Path kafkaDir;
    /** The agent's state directory, of this test alone (removed afterwards, like the broker's). */
    private Path agentDir;
    private int kafkaPort;
    private EmbeddedKafka kafka;
    private Vertx vertx;
    private final List<Orchestrator> orchestrators = new ArrayList<>();
    private WorkerAgent agent;
    private EventRecorder recorder;
    private Duplicator agentDuplicates;
    private KafkaProducer<String, byte[]> producer;
    private final EventCodec codec = new EventCodec("berth://ci/reliability-test");

    @BeforeEach
    void broker() throws Exception {
        kafkaDir = Files.createTempDirectory("berth-reliability-kafka");
        agentDir = Files.createTempDirectory("berth-reliability-agent");
        // services run as an unprivileged user in scratch directories below it
        Files.setPosixFilePermissions(agentDir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        try (ServerSocket socket = new ServerSocket(0)) {
            kafkaPort = socket.getLocalPort();
        }
        kafka = EmbeddedKafka.builder().logDir(kafkaDir).port(kafkaPort).start();
        vertx = Vertx.vertx();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (agent != null) {
            join(agent.stop());
        }
        for (Orchestrator o : orchestrators) {
            join(o.stop());
        }
        if (recorder != null) {
            recorder.close();
        }
        if (agentDuplicates != null) {
            agentDuplicates.close();
        }
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
        join(vertx.close());
        if (kafka != null) {
            kafka.close();
        }
        for (Path dir : List.of(kafkaDir, agentDir)) {
            try (var paths = Files.walk(dir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void failover_killingOneOfTwoOrchestrators_handsItsTasksOver_noTaskLostOrDuplicated() throws Exception {
        Orchestrator a = orchestrator(settings().instance("orch-a"));
        Orchestrator b = orchestrator(settings().instance("orch-b"));
        String name = worker("rel-failover");
        startAgent(name, a, b);
        await().atMost(TIMEOUT).until(() -> knowsWorker(a, name) && knowsWorker(b, name));
        startRecording();

        List<String> early = tasksOnEveryPartition(4);
        for (String task : early) {
            publishStarted(task);
        }
        await().atMost(TIMEOUT).until(() -> early.stream().allMatch(t -> recorder.distinct(t,
                EventTypes.TASK_SERVICES_READY) == 1));
        // both instances owned some of the tasks
        assertThat(recorder.instances(EventTypes.TASK_SERVICES_READY)).contains("orch-a", "orch-b");

        // mid-run: more tasks on their way, then A goes away while they start
        List<String> late = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            late.add(newTask());
            publishStarted(late.get(i));
        }
        long t0 = System.nanoTime();
        join(a.stop());
        orchestrators.remove(a);
        List<String> all = new ArrayList<>(early);
        all.addAll(late);
        await().atMost(TIMEOUT).until(() -> late.stream().allMatch(t -> recorder.distinct(t,
                EventTypes.TASK_SERVICES_READY) >= 1));
        long handoverMillis = (System.nanoTime() - t0) / 1_000_000;
        for (String task : all) {
            publishEnded(task);
        }
        await().atMost(TIMEOUT).until(() -> all.stream().allMatch(t -> recorder.distinct(t,
                EventTypes.TASK_SERVICES_RELEASED) >= 1));

        for (String task : all) {
            assertExactlyOnceLifecycle(task, 1);
        }
        assertThat(recorder.instances(EventTypes.TASK_SERVICES_RELEASED)).containsOnly("orch-b");
        System.out.printf("failover: %d tasks, instance A stopped while %d of them started; all of them ready "
                + "%d ms after A stopped; every task ready once and released once (by B)%n", all.size(), late.size(),
                handoverMillis);
    }

    @Test
    void failover_sigkillOfOneOfTwoOrchestrators_handsItsTasksOverAfterTheSessionTimeout_noServiceStartedTwice()
            throws Exception {
        // instance A is a process of its own, so it can be SIGKILLed: no goodbye to the group, no last commit
        int grpc;
        int http;
        try (ServerSocket s1 = new ServerSocket(0); ServerSocket s2 = new ServerSocket(0)) {
            grpc = s1.getLocalPort();
            http = s2.getLocalPort();
        }
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.berth.cli.Main", "orchestrator")
                .redirectErrorStream(true).redirectOutput(kafkaDir.resolve("orch-a.log").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("BERTH_"));
        pb.environment().putAll(Map.of("BERTH_KAFKA_BOOTSTRAP", kafka.bootstrapServers(),
                "BERTH_GRPC_HOST", "127.0.0.1", "BERTH_GRPC_PORT", String.valueOf(grpc),
                "BERTH_HTTP_HOST", "127.0.0.1", "BERTH_HTTP_PORT", String.valueOf(http),
                "BERTH_INSTANCE", "orch-a", "BERTH_GROUP_SESSION_TIMEOUT_MS", "6000"));
        pb.environment().put("BERTH_GRPC_PLAINTEXT", "true"); // loopback, this test's processes only
        Process a = pb.start();
        try {
            await().atMost(TIMEOUT).ignoreExceptions()
                    .until(() -> Http.get("http://127.0.0.1:" + http + "/readyz").status() == 200);
            Orchestrator b = orchestrator(settings().instance("orch-b").groupSessionTimeout(Duration.ofSeconds(6)));
            List<LinkSettings.Address> both = List.of(new LinkSettings.Address("127.0.0.1", grpc),
                    new LinkSettings.Address("127.0.0.1", b.grpcPort()));
            String name = worker("rel-sigkill");
            agent = new WorkerAgent(vertx, AgentSettings.defaults(name).withStateDir(agentDir), LinkSettings.of(both),
                    kafka.bootstrapServers());
            join(agent.start());
            await().atMost(TIMEOUT).ignoreExceptions().until(() -> knowsWorker(b, name)
                    && Http.get("http://127.0.0.1:" + http + "/api/v1/workers").body().contains(name));
            startRecording();

            List<String> early = tasksOnEveryPartition(4);
            for (String task : early) {
                publishStarted(task);
            }
            await().atMost(TIMEOUT).until(() -> early.stream().allMatch(t -> recorder.distinct(t,
                    EventTypes.TASK_SERVICES_READY) >= 1));
            assertThat(recorder.instances(EventTypes.TASK_SERVICES_READY)).contains("orch-a", "orch-b");
            List<String> late = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                late.add(newTask());
                publishStarted(late.get(i));
            }
            long t0 = System.nanoTime();
            a.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            List<String> all = new ArrayList<>(early);
            all.addAll(late);
            await().atMost(TIMEOUT).until(() -> late.stream().allMatch(t -> recorder.distinct(t,
                    EventTypes.TASK_SERVICES_READY) >= 1));
            long handoverMillis = (System.nanoTime() - t0) / 1_000_000;
            for (String task : all) {
                publishEnded(task);
            }
            await().atMost(TIMEOUT).until(() -> all.stream().allMatch(t -> recorder.distinct(t,
                    EventTypes.TASK_SERVICES_RELEASED) >= 1));
            await().atMost(TIMEOUT).until(() -> agent.supervisor().activeServices() == 0);

            // an output published just before the kill may come again from B, as the same event (source + id)
            long repeatedOutputs = assertExactlyOnceLifecycles(all);
            System.out.printf("failover by SIGKILL: %d tasks, instance A killed while %d of them started; all of "
                    + "them ready %d ms after the kill (group session timeout 6 s); 0 double starts, every output "
                    + "one event (%d repeated copies, each a duplicate by source + id)%n", all.size(), late.size(),
                    handoverMillis, repeatedOutputs);
        } finally {
            a.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void duplicatesAndReordering_onEveryTaskEvent_startEachServiceOnce_andStopEveryService() throws Exception {
        Orchestrator o = orchestrator(settings());
        startAgent(worker("rel-dupes"), o);
        startRecording();
        // every event the agent publishes is published again, at once (it lands after whatever the agent published
        // meanwhile: a starting after its ready, a ready after its stopped)
        agentDuplicates = new Duplicator(kafka.bootstrapServers(), Topics.SERVICE_EVENTS);
        int duplicates = 0;
        List<String> inOrder = new ArrayList<>();
        List<String> reordered = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String task = newTask();
            inOrder.add(task);
            byte[] started = publishStarted(task);
            send(task, started); // the same event again (same source + id)
            publishStarted(task); // the same task again under a new event id
            duplicates += 2;
        }
        for (int i = 0; i < 4; i++) {
            String task = newTask();
            reordered.add(task);
            byte[] ended = publishEnded(task); // task.ended before task.started: it must never start
            send(task, ended);
            byte[] started = publishStarted(task);
            send(task, started);
            duplicates += 2;
        }
        await().atMost(TIMEOUT).until(() -> inOrder.stream().allMatch(t -> recorder.distinct(t,
                EventTypes.TASK_SERVICES_READY) == 1));
        for (String task : inOrder) {
            byte[] ended = publishEnded(task);
            send(task, ended);
            publishEnded(task);
            duplicates += 2;
        }
        List<String> all = new ArrayList<>(inOrder);
        all.addAll(reordered);
        await().atMost(TIMEOUT).until(() -> all.stream().allMatch(t -> recorder.distinct(t,
                EventTypes.TASK_SERVICES_RELEASED) >= 1));
        // anything late would show up while the released events of the last tasks arrive; give the stragglers a
        // chance by waiting for the agent to be idle
        await().atMost(TIMEOUT).until(() -> agent.supervisor().activeServices() == 0);
        // the duplicates of the last events, too, are in before the counting
        long agentEvents = all.stream().mapToLong(t -> recorder.distinct(t, "berth.service.")).sum();
        await().atMost(TIMEOUT).until(() -> agentDuplicates.sent() >= agentEvents);
        await().atMost(TIMEOUT).until(() -> all.stream().mapToLong(t -> recorder.count(t, "berth.service.")).sum()
                >= 2 * agentEvents);

        for (String task : inOrder) {
            assertExactlyOnceLifecycle(task, 1);
        }
        for (String task : reordered) {
            assertThat(recorder.distinct(task, EventTypes.SERVICE_STARTING)).as("starts of %s", task).isZero();
            assertThat(recorder.distinct(task, EventTypes.TASK_SERVICES_READY)).isZero();
            assertThat(recorder.distinct(task, EventTypes.TASK_SERVICES_RELEASED)).isEqualTo(1);
        }

        // A replay from offset 0: an orchestrator in a new consumer group re-reads every task and service event of
        // the run. The state it restores (dedupe keys included) makes each of them a duplicate: nothing is placed,
        // started or published again.
        join(o.stop());
        orchestrators.remove(o);
        Map<String, Long> outputsBefore = new java.util.HashMap<>();
        all.forEach(t -> outputsBefore.put(t, recorder.count(t, "berth.task.services.")));
        Orchestrator replay = orchestrator(settings().groupId("berth-replay"));
        await().atMost(TIMEOUT).until(() -> caughtUp("berth-replay"));
        var phases = join(replay.queries().tasks()).stream()
                .collect(java.util.stream.Collectors.toMap(TaskView::taskId,
                        TaskView::phase));
        for (String task : all) {
            assertThat(phases.get(task)).as("phase of %s after the replay", task).isEqualTo("RELEASED");
            assertThat(recorder.count(task, "berth.task.services.")).as("outputs of %s after the replay", task)
                    .isEqualTo(outputsBefore.get(task));
        }
        System.out.printf("duplicates: %d tasks (%d reordered), %d duplicate task events and %d duplicate agent "
                + "events injected, 0 double starts, 0 missed stops, 0 repeated outputs; the whole run replayed from "
                + "offset 0 by a new group: 0 effects%n", all.size(), reordered.size(), duplicates,
                agentDuplicates.sent());
    }

    @Test
    void taskWhoseEndNeverComes_failsWithTheDeadline_andIsReleased() throws Exception {
        Orchestrator o = orchestrator(settings().maxTaskLifetime(Duration.ofSeconds(3)));
        startAgent(worker("rel-deadline"), o);
        startRecording();
        String task = newTask();
        long t0 = System.nanoTime();
        publishStarted(task);
        await().atMost(TIMEOUT).until(() -> recorder.distinct(task, EventTypes.TASK_SERVICES_RELEASED) == 1);
        long releasedAfter = (System.nanoTime() - t0) / 1_000_000;

        assertThat(recorder.distinct(task, EventTypes.TASK_SERVICES_READY)).isEqualTo(1);
        var failed = recorder.only(task, EventTypes.TASK_SERVICES_FAILED).payload(TaskServicesFailed.class);
        assertThat(failed.reason()).contains("maximum task lifetime");
        var released = recorder.only(task, EventTypes.TASK_SERVICES_RELEASED).payload(TaskServicesReleased.class);
        assertThat(released.services()).extracting(TaskServicesReleased.ServiceRelease::signal)
                .containsExactly("SIGTERM");
        assertThat(releasedAfter).isGreaterThanOrEqualTo(3_000);
        // a task.ended that comes after all changes nothing
        publishEnded(task);
        publishStarted(newTask()); // and the orchestrator is still at work
        assertThat(recorder.distinct(task, EventTypes.TASK_SERVICES_RELEASED)).isEqualTo(1);
        System.out.printf("deadline: 3000 ms lifetime, failed then released %d ms after task.started%n",
                releasedAfter);
    }

    @Test
    void brokerRestartMidRun_everyTaskStillCompletes() throws Exception {
        Orchestrator o = orchestrator(settings());
        startAgent(worker("rel-broker"), o);
        startRecording();
        List<String> tasks = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            tasks.add(newTask());
            publishStarted(tasks.get(i));
        }
        long t0 = System.nanoTime();
        kafka.close();
        kafka = EmbeddedKafka.builder().logDir(kafkaDir).port(kafkaPort).start();
        long downMillis = (System.nanoTime() - t0) / 1_000_000;
        await().atMost(TIMEOUT).until(() -> tasks.stream().allMatch(t -> recorder.distinct(t,
                EventTypes.TASK_SERVICES_READY) >= 1));
        for (String task : tasks) {
            publishEnded(task);
        }
        await().atMost(TIMEOUT).until(() -> tasks.stream().allMatch(t -> recorder.distinct(t,
                EventTypes.TASK_SERVICES_RELEASED) >= 1));
        await().atMost(TIMEOUT).until(() -> agent.supervisor().activeServices() == 0);
        // an agent event whose batch the restarted broker would not take is sent again after its delivery timeout:
        // it comes late, never not at all
        await().atMost(TIMEOUT).untilAsserted(() -> assertExactlyOnceLifecycles(tasks));
        // an output whose acknowledgement the broker's restart swallowed is published again, as the same event
        long repeatedOutputs = assertExactlyOnceLifecycles(tasks);
        assertThat(o.queries().readiness().ready()).isTrue();
        System.out.printf("broker restart: %d tasks, broker away %d ms, every task ready and released, "
                + "0 double starts, 0 missed stops, every output one event (%d repeated copies)%n", tasks.size(),
                downMillis, repeatedOutputs);
    }

    /**
     * {@link #assertExactlyOnceLifecycle} for every task (one service each); returns how many output copies were
     * published again as the same event (source + id), which consumers drop.
     */
    private long assertExactlyOnceLifecycles(List<String> tasks) {
        long repeated = 0;
        for (String task : tasks) {
            assertExactlyOnceLifecycle(task, 1);
            repeated += recorder.count(task, "berth.task.services.") - recorder.distinct(task, "berth.task.services.");
        }
        return repeated;
    }

    private void assertExactlyOnceLifecycle(String task, int services) {
        assertThat(recorder.distinct(task, EventTypes.SERVICE_STARTING)).as("service.starting of %s", task)
                .isEqualTo(services);
        assertThat(recorder.distinct(task, EventTypes.SERVICE_STOPPED)).as("service.stopped of %s", task)
                .isEqualTo(services);
        assertThat(recorder.distinct(task, EventTypes.TASK_SERVICES_READY)).as("ready of %s", task).isEqualTo(1);
        assertThat(recorder.distinct(task, EventTypes.TASK_SERVICES_RELEASED)).as("released of %s", task)
                .isEqualTo(1);
        assertThat(recorder.distinct(task, EventTypes.TASK_SERVICES_FAILED)).as("failed of %s", task).isZero();
    }

    /** A worker name of this JVM's own: an agent's state directory is locked per name, and others run tests too. */
    private static String worker(String name) {
        return name + "-" + ProcessHandle.current().pid();
    }

    /** True once the group committed the end of every partition of the task and service topics. */
    private boolean caughtUp(String group) throws Exception {
        try (var admin = kafka.admin()) {
            var committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                    .get(10, TimeUnit.SECONDS);
            Map<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new java.util.HashMap<>();
            for (String topic : List.of(Topics.TASK_EVENTS, Topics.SERVICE_EVENTS)) {
                admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic).partitions()
                        .forEach(p -> latest.put(new TopicPartition(topic, p.partition()),
                                org.apache.kafka.clients.admin.OffsetSpec.latest()));
            }
            var ends = admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS);
            for (var e : ends.entrySet()) {
                var c = committed.get(e.getKey());
                if (e.getValue().offset() > 0 && (c == null || c.offset() < e.getValue().offset())) {
                    return false;
                }
            }
            return true;
        }
    }

    private OrchestratorSettings.Builder settings() {
        return OrchestratorSettings.builder(kafka.bootstrapServers()).grpc("127.0.0.1", 0)
                .admin(AdminSettings.NONE);
    }

    private Orchestrator orchestrator(OrchestratorSettings.Builder settings) {
        Orchestrator o = new Orchestrator(vertx, settings.build());
        orchestrators.add(o);
        join(o.start());
        return o;
    }

    private void startAgent(String worker, Orchestrator... to) {
        List<LinkSettings.Address> addresses = new ArrayList<>();
        for (Orchestrator o : to) {
            addresses.add(new LinkSettings.Address("127.0.0.1", o.grpcPort()));
        }
        agent = new WorkerAgent(vertx, AgentSettings.defaults(worker).withStateDir(agentDir),
                LinkSettings.of(addresses), kafka.bootstrapServers());
        join(agent.start());
    }

    private static boolean knowsWorker(Orchestrator o, String worker) throws Exception {
        return o.queries().workers().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).stream()
                .anyMatch(w -> w.worker().equals(worker));
    }

    private void startRecording() {
        recorder = new EventRecorder(kafka.bootstrapServers());
        var p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    private static String newTask() {
        return "t-" + UUID.randomUUID();
    }

    /**
     * {@code perPartition} new task ids on each partition of the task topic, so that every instance owning a
     * partition gets some: twelve random ids all land on one instance's two partitions of three in one run of 130.
     */
    private List<String> tasksOnEveryPartition(int perPartition) {
        int partitions = settings().build().kafka().topicPartitions();
        List<List<String>> byPartition = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            byPartition.add(new ArrayList<>());
        }
        while (byPartition.stream().anyMatch(ids -> ids.size() < perPartition)) {
            String task = newTask();
            List<String> ids = byPartition.get(StateReader.partitionOf(task, partitions));
            if (ids.size() < perPartition) {
                ids.add(task);
            }
        }
        List<String> interleaved = new ArrayList<>();
        for (int i = 0; i < perPartition; i++) {
            for (List<String> ids : byPartition) {
                interleaved.add(ids.get(i));
            }
        }
        return interleaved;
    }

    private byte[] publishStarted(String task) throws Exception {
        var service = new ServiceRequest("sleeper", null, ServiceConfigs.parseYaml(SLEEPER, "sleeper.yml"), null,
                null);
        byte[] event = codec.encode(EventTypes.TASK_STARTED, task,
                new TaskStarted(task, null, null, List.of(service), Map.of()));
        send(task, event);
        return event;
    }

    private byte[] publishEnded(String task) throws Exception {
        byte[] event = codec.encode(EventTypes.TASK_ENDED, task, new TaskEnded(task, "succeeded"));
        send(task, event);
        return event;
    }

    private void send(String task, byte[] event) throws Exception {
        producer.send(new ProducerRecord<>(Topics.TASK_EVENTS, task, event)).get(60, TimeUnit.SECONDS);
    }

    private static <T> T join(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Publishes every record of a topic a second time, as soon as it sees it (same key, same bytes: the same event),
     * marked by a header so that it does not duplicate its own duplicates.
     */
    private static final class Duplicator implements AutoCloseable {
        private static final String MARK = "berth-test-duplicate";
        private final KafkaConsumer<String, byte[]> consumer;
        private final KafkaProducer<String, byte[]> producer;
        private final Thread thread;
        private final java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
        private volatile boolean closing;

        Duplicator(String bootstrapServers, String topic) {
            var c = new Properties();
            c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
            c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 20);
            consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            var p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
            producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
            thread = new Thread(() -> {
                try {
                    while (!closing) {
                        for (var record : consumer.poll(Duration.ofMillis(100))) {
                            if (record.headers().lastHeader(MARK) == null) {
                                var copy = new ProducerRecord<>(topic, record.partition(), record.key(), record.value());
                                copy.headers().add(MARK, new byte[0]);
                                producer.send(copy, (md, e) -> {
                                    if (e == null) {
                                        sent.incrementAndGet();
                                    }
                                });
                            }
                        }
                    }
                } catch (WakeupException e) {
                    // closing
                } finally {
                    consumer.close(Duration.ofSeconds(2));
                }
            }, "reliability-duplicator");
            thread.setDaemon(true);
            thread.start();
        }

        long sent() {
            return sent.get();
        }

        @Override
        public void close() throws InterruptedException {
            closing = true;
            consumer.wakeup();
            thread.join(5_000);
            producer.close(Duration.ofSeconds(5));
        }
    }
}
