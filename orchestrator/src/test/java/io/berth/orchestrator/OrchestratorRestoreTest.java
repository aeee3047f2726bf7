package io.berth.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berth.events.Topics;
import io.berth.kafka.embedded.EmbeddedKafka;
import io.berth.orchestrator.state.ServiceState;
import io.berth.orchestrator.state.TaskPhase;
import io.berth.orchestrator.state.TaskRequest;
import io.berth.orchestrator.state.TaskSnapshot;
import io.berth.orchestrator.view.TaskView;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An instance taking over partitions whose tasks are in {@code berth.orchestrator-state}, against the real embedded
 * broker and the real gateway: every readable task is restored (decoded in parallel, an unreadable record skipped),
 * and agents are let in only once that is done — a replacement for a killed instance restores while its agents
 * redial, and their TLS handshakes took the CPU the restore needed.
 */
class OrchestratorRestoreTest {
    private static final int PARTITIONS = 4;
    private static final int TASKS = 2_000;

    private EmbeddedKafka kafka;
    private Vertx vertx;
    private Orchestrator orchestrator;

    @BeforeEach
    void broker() {
        kafka = EmbeddedKafka.start();
        vertx = Vertx.vertx();
    }

    @AfterEach
    void stop() throws Exception {
        if (orchestrator != null) {
            orchestrator.stop().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
        }
        vertx.close().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
        kafka.close();
    }

    @Test
    void tasksInTheStateTopic_areAllRestored_beforeTheAgentGatewayAcceptsAConnection() throws Exception {
        BerthTopics.ensure(kafka.bootstrapServers(), PARTITIONS);
        try (var producer = new KafkaProducer<>(Map.<String, Object>of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.LINGER_MS_CONFIG, 5), new StringSerializer(), new ByteArraySerializer())) {
            // one record through each new partition first, waited for: a partition may refuse the first batch for a
            // moment after the topic is created (NOT_LEADER_OR_FOLLOWER), and an idempotent producer whose first batch
            // was refused while later ones went through is stuck (OUT_OF_ORDER_SEQUENCE_NUMBER): those never arrive.
            // A tombstone: no task.
            for (int p = 0; p < PARTITIONS; p++) {
                producer.send(new ProducerRecord<>(Topics.ORCHESTRATOR_STATE, p, "warm-up-" + p, null)).get(30,
                        TimeUnit.SECONDS);
            }
            for (int i = 0; i < TASKS; i++) {
                String task = "restore-" + i;
                // an older snapshot of the task first: only the newest counts
                producer.send(new ProducerRecord<>(Topics.ORCHESTRATOR_STATE, task, snapshot(task, TaskPhase.STARTING)));
                producer.send(new ProducerRecord<>(Topics.ORCHESTRATOR_STATE, task, snapshot(task, TaskPhase.READY)));
            }
            producer.send(new ProducerRecord<>(Topics.ORCHESTRATOR_STATE, "unreadable",
                    "{not json".getBytes(StandardCharsets.UTF_8)));
            producer.flush();
        }
        int port = freePort();
        orchestrator = new Orchestrator(vertx, OrchestratorSettings.builder(kafka.bootstrapServers())
                .grpc("127.0.0.1", port).topicPartitions(PARTITIONS).build());

        // an agent dialling from the start: what the instance holds when the gateway first accepts it
        CompletableFuture<List<TaskView>> heldAtFirstConnection = CompletableFuture.supplyAsync(() -> {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                try (Socket agent = new Socket()) {
                    agent.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
                    return orchestrator.queries().tasks().toCompletionStage().toCompletableFuture().join();
                } catch (IOException refused) {
                    // not listening yet: dial again, as an agent's link does (its backoff only spaces the attempts)
                    Thread.onSpinWait();
                }
            }
            throw new IllegalStateException("the gateway never accepted a connection");
        });
        orchestrator.start().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);

        List<TaskView> held = heldAtFirstConnection.get(60, TimeUnit.SECONDS);
        assertEquals(TASKS, held.size(), "tasks held when the first agent got in");
        assertTrue(held.stream().allMatch(t -> t.phase().equals(TaskPhase.READY.name())),
                "each task restored from its newest snapshot");
    }

    private static byte[] snapshot(String task, TaskPhase phase) {
        var request = new TaskRequest(task, null, null, List.of(
                new TaskRequest.RequestedService("db", "{\"image\":\"postgres:16\",\"ports\":[5432]}"),
                new TaskRequest.RequestedService("cache", "{\"image\":\"redis:7\",\"ports\":[6379]}")), Map.of());
        ServiceState.Status status = phase == TaskPhase.READY ? ServiceState.Status.READY : ServiceState.Status.STARTING;
        long now = System.currentTimeMillis();
        return new TaskSnapshot(task, phase, request, "w-restore", 1, null, null, now, now, List.of(),
                List.of(new TaskSnapshot.Service("db", status, 0, null, null, null, null, List.of(), null),
                        new TaskSnapshot.Service("cache", status, 0, null, null, null, null, List.of(), null)))
                .toJson();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
