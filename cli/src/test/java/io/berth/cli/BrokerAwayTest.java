package io.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.berth.agent.AgentSettings;
import io.berth.agent.boot.WorkerAgent;
import io.berth.agent.link.KafkaSender;
import io.berth.agent.link.LinkSettings;
import io.berth.agent.link.ServiceEventPublisher;
import io.berth.events.EventCodec;
import io.berth.events.EventTypes;
import io.berth.events.payload.ServiceStarting;
import io.berth.kafka.embedded.EmbeddedKafka;
import io.berth.orchestrator.Orchestrator;
import io.berth.orchestrator.OrchestratorSettings;
import io.berth.orchestrator.gateway.WorkerInfo;
import io.berth.orchestrator.metrics.MeteredVertx;
import io.berth.orchestrator.metrics.OrchestratorMetrics;
import io.berth.orchestrator.publish.EventPublisher;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, item 7: with the broker stopped, nothing that sends to Kafka may hold a Vert.x event loop — the loops that
 * serve the agents' heartbeats and the admin API. Publishers whose producers have no metadata yet (what a send to a
 * topic not used before, or a restarted component, meets: {@code send} blocks up to {@code max.block.ms}) publish
 * from event loops while an agent heartbeats every 200 ms against a 1 s timeout and a task is force-released over
 * gRPC; every loop keeps ticking, the agent stays connected, {@code /healthz} answers.
 */
class BrokerAwayTest {
    @TempDir
    Path dir;

    @Test
    void brokerStopped_heartbeatsHealthAndEventLoopsCarryOn_whileEventsArePublished() throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.builder().logDir(dir.resolve("kafka")).start();
        String bootstrap = kafka.bootstrapServers();
        int kafkaPort = Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1));
        var registry = OrchestratorMetrics.prometheus();
        Vertx vertx = MeteredVertx.create(registry);
        Orchestrator orchestrator = null;
        WorkerAgent agent = null;
        TaskDriver driver = null;
        boolean brokerAway = false;
        List<AutoCloseable> publishers = new ArrayList<>();
        try {
            orchestrator = new Orchestrator(vertx, OrchestratorSettings.builder(bootstrap).grpc("127.0.0.1", 0)
                    .agentTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(2)).build(), registry);
            done(orchestrator.start());
            agent = new WorkerAgent(vertx, AgentSettings.defaults("away-worker").withStateDir(dir.resolve("agent")),
                    new LinkSettings(List.of(new LinkSettings.Address("127.0.0.1", orchestrator.grpcPort())), 200,
                            100, 1_000), bootstrap);
            done(agent.start());
            driver = new TaskDriver(bootstrap); // once the orchestrator made the topics
            String task = TaskDriver.newTaskId();
            driver.start(task, Map.of("svc", "run: {path: /bin/sh, args: [-c, 'exec sleep 600']}\n"));
            driver.await(task, EventTypes.TASK_SERVICES_READY, Duration.ofSeconds(60));
            driver.close();
            WorkerInfo before = worker(orchestrator);
            String health = "http://127.0.0.1:" + orchestrator.httpPort() + "/healthz";
            assertThat(Http.get(health).status()).isEqualTo(200); // the HTTP client's own first-call cost, not measured

            kafka.close(); // the broker is away from here on
            brokerAway = true;
            LoopTicks ticks = LoopTicks.watch(vertx, 8);

            // publishers with no metadata, as after a restart: each call runs on an event loop
            EventPublisher orchestratorSide = new EventPublisher(EventPublisher.producer(bootstrap, "away-o"),
                    new EventCodec("berth://orchestrator/away"), t -> { });
            publishers.add(orchestratorSide);
            KafkaSender agentSide = new KafkaSender(new KafkaProducer<>(producerConfig(bootstrap)), "away-send");
            publishers.add(agentSide);
            ServiceEventPublisher serviceEvents = new ServiceEventPublisher(agentSide,
                    new EventCodec("berth://agent/away"));
            List<Long> callMillis = new java.util.concurrent.CopyOnWriteArrayList<>();
            for (int i = 0; i < 5; i++) {
                Context context = vertx.getOrCreateContext();
                CompletableFuture<Void> called = new CompletableFuture<>();
                context.runOnContext(v -> {
                    long t0 = System.nanoTime();
                    orchestratorSide.publishState(task, new byte[] {'{', '}'});
                    orchestratorSide.publishDeadLetter(task, new byte[] {'{', '}'});
                    serviceEvents.emit(new ServiceStarting(task, "svc", "away-worker", 1, 1L));
                    callMillis.add((System.nanoTime() - t0) / 1_000_000);
                    called.complete(null);
                });
                called.get(120, TimeUnit.SECONDS);
            }
            // the orchestrator stops the service over gRPC; the agent publishes service.stopped into the void
            assertThat(done(orchestrator.queries().forceRelease(task, "the test releases it"))).isPresent();

            long until = System.nanoTime() + Duration.ofSeconds(4).toNanos(); // 4 heartbeat timeouts
            AtomicLong slowest = new AtomicLong();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
                long t0 = System.nanoTime();
                assertThat(Http.get(health).status()).isEqualTo(200);
                slowest.accumulateAndGet((System.nanoTime() - t0) / 1_000_000, Math::max);
                return System.nanoTime() > until;
            });
            long slowestHealth = slowest.get();
            WorkerInfo after = worker(orchestrator);
            System.out.printf("broker away 4 s: publish calls on event loops %s ms, longest event-loop stall %d ms, "
                    + "slowest /healthz %d ms%n", callMillis, ticks.longestGapMillis(), slowestHealth);
            assertThat(callMillis).allSatisfy(ms -> assertThat(ms).isLessThan(200));
            assertThat(ticks.longestGapMillis()).as("longest stall of an event loop").isLessThan(500);
            assertThat(slowestHealth).isLessThan(1_000);
            assertThat(after.connected()).as("the agent's heartbeats were served").isTrue();
            assertThat(after.connectedAtMillis()).as("never dropped and redialed").isEqualTo(before.connectedAtMillis());
            assertThat(System.currentTimeMillis() - after.lastSeenMillis()).isLessThan(1_000);
            ticks.stop();
        } finally {
            if (brokerAway) { // back, so that the agent's stop can have its stopped events acknowledged
                kafka = EmbeddedKafka.builder().logDir(dir.resolve("kafka")).port(kafkaPort).start();
            }
            for (AutoCloseable p : publishers) {
                vertx.executeBlocking(() -> {
                    p.close();
                    return null;
                });
            }
            if (agent != null) {
                agent.stop().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
            }
            if (orchestrator != null) {
                orchestrator.stop().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
            }
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            kafka.close();
        }
    }

    private static WorkerInfo worker(Orchestrator orchestrator) throws Exception {
        return done(orchestrator.queries().workers()).stream().filter(w -> w.worker().equals("away-worker")).findFirst()
                .orElseThrow();
    }

    private static Properties producerConfig(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return p;
    }

    private static <T> T done(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    /** A 20 ms timer on each of several contexts (so on every event loop): the longest gap between two ticks. */
    static final class LoopTicks {
        private final Vertx vertx;
        private final List<Long> timers = new ArrayList<>();
        private final AtomicLong longestGapNanos = new AtomicLong();

        private LoopTicks(Vertx vertx) {
            this.vertx = vertx;
        }

        static LoopTicks watch(Vertx vertx, int contexts) {
            LoopTicks ticks = new LoopTicks(vertx);
            for (int i = 0; i < contexts; i++) {
                Context context = vertx.getOrCreateContext();
                context.runOnContext(v -> {
                    long[] last = {System.nanoTime()};
                    synchronized (ticks.timers) {
                        ticks.timers.add(vertx.setPeriodic(20, id -> {
                            long now = System.nanoTime();
                            ticks.longestGapNanos.accumulateAndGet(now - last[0], Math::max);
                            last[0] = now;
                        }));
                    }
                });
            }
            return ticks;
        }

        long longestGapMillis() {
            return longestGapNanos.get() / 1_000_000;
        }

        void stop() {
            synchronized (timers) {
                timers.forEach(vertx::cancelTimer);
            }
        }
    }
}
