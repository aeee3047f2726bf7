package io.berth.orchestrator;

import io.berth.events.EventCodec;
import io.berth.events.InputRoots;
import io.berth.events.TlsFiles;
import io.berth.events.Topics;
import io.berth.orchestrator.api.AdminApi;
import io.berth.orchestrator.coordinator.PartitionHandover;
import io.berth.orchestrator.gateway.AgentDirectory;
import io.berth.orchestrator.gateway.AgentGateway;
import io.berth.orchestrator.ingress.ConsumerLag;
import io.berth.orchestrator.ingress.DeadLetter;
import io.berth.orchestrator.ingress.EventTranslator;
import io.berth.orchestrator.ingress.IngressConsumer;
import io.berth.orchestrator.ingress.KafkaIngress;
import io.berth.orchestrator.ingress.StateReader;
import io.berth.orchestrator.metrics.OrchestratorMetrics;
import io.berth.orchestrator.view.Readiness;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the orchestrator's parts on one Vert.x context, in order — the admin API and the topics (and a read ahead of
 * the tasks' state), the core that handles tasks ({@link OrchestratorCore}), the Kafka consumer (until its first
 * partitions are restored), then the agent gateway — and stops them in reverse. Every part but the consumer's thread
 * lives on this context; once started, the parts answer the {@link ContextQueries}.
 */
final class OrchestratorVerticle extends VerticleBase {
    private static final Logger LOG = LoggerFactory.getLogger(OrchestratorVerticle.class);
    private static final Duration HANDLE_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STATE_READ_TIMEOUT = Duration.ofSeconds(30);

    private final OrchestratorSettings settings;
    private final OrchestratorSettings.Kafka kafka;
    private final PrometheusMeterRegistry registry;
    private final OrchestratorMetrics metrics;
    private final TlsFiles agentTls;
    private final InputRoots inputRoots;
    private final ContextQueries queries;
    OrchestratorCore core;
    AgentGateway gateway;
    KafkaIngress ingress;
    AdminApi admin;
    private StateReader stateReader;
    private volatile boolean started;
    private long gaugeTimer = -1;

    OrchestratorVerticle(OrchestratorSettings settings, PrometheusMeterRegistry registry, OrchestratorMetrics metrics,
                         TlsFiles agentTls, InputRoots inputRoots, ContextQueries queries) {
        this.settings = settings;
        this.kafka = settings.kafka();
        this.registry = registry;
        this.metrics = metrics;
        this.agentTls = agentTls;
        this.inputRoots = inputRoots;
        this.queries = queries;
    }

    @Override
    public Future<?> start() {
        long t0 = System.nanoTime();
        // the state is read from the start, beside everything else: a killed instance's replacement waits for the
        // dead member's session to time out before it is assigned anything, and what it reads and decodes
        // meanwhile its first assignment need not (it reads on from there)
        stateReader = new StateReader(kafka.bootstrapServers()).readAhead(STATE_READ_TIMEOUT);
        Future<?> adminUp = Future.succeededFuture();
        if (settings.admin().enabled()) {
            admin = new AdminApi(vertx, queries, registry, settings.admin());
            adminUp = admin.listen();
        }
        // unordered: an ordered blocking call would hold up every other one of this context (the admin API's
        // request validation among them) for as long as Kafka takes to answer; beside the admin API's start,
        // which takes seconds in a fresh JVM (its OpenAPI contract)
        Future<Void> topics = vertx.executeBlocking(() -> {
            BerthTopics.ensure(kafka.bootstrapServers(), kafka.topicPartitions());
            return null;
        }, false);
        return Future.all(adminUp, topics).compose(v -> {
            core = new OrchestratorCore(vertx, context, settings, metrics);
            queries.attach(new ContextQueries.Parts(context, core.directory, core.coordinator, this::readiness));
            watchWorkers();
            ingress = ingress();
            return Future.fromCompletionStage(ingress.start(), context);
        }).compose(v -> {
            stateReader.dropReadAhead();
            // agents are let in once the first partitions' tasks are restored: a replacement for a killed instance
            // restores while a thousand agents redial, and their TLS handshakes took the CPU the restore needed
            // (and an agent's inventory is then reconciled against the tasks already held)
            gateway = new AgentGateway(vertx, core.directory, settings.timeouts().heartbeatTimeout().toMillis(),
                    agentTls);
            return gateway.listen(settings.grpc().host(), settings.grpc().port());
        }).onSuccess(v -> started = true).recover(error -> {
            LOG.error("orchestrator failed to start: {}", error.toString());
            return stop().transform(ignored -> Future.failedFuture(error));
        }).onSuccess(v -> LOG.info("orchestrator started in {} ms ({} ms after its JVM): gRPC on {}:{}, Kafka {}, "
                        + "consuming {} and {}", (System.nanoTime() - t0) / 1_000_000,
                ManagementFactory.getRuntimeMXBean().getUptime(), settings.grpc().host(), gateway.port(),
                kafka.bootstrapServers(), Topics.TASK_EVENTS, Topics.SERVICE_EVENTS));
    }

    /** The consumer of task and service events, handing each input to the core; what it rejects is counted. */
    private KafkaIngress ingress() {
        var consumer = IngressConsumer.create(kafka.bootstrapServers(), kafka.groupId(),
                "berth-orchestrator-" + settings.instance(), kafka.groupSessionTimeout().toMillis());
        metrics.consumerLag(() -> ConsumerLag.recordsLagMax(consumer));
        KafkaIngress in = new KafkaIngress(consumer, new EventTranslator(new EventCodec(settings.eventSource()),
                inputRoots), core.publisher, core::accept, new KafkaIngress.Observer() {
                    @Override
                    public void received(String topic, String eventType) {
                        metrics.eventIn(eventType);
                    }

                    @Override
                    public void deadLettered(DeadLetter.Reason reason) {
                        metrics.deadLetter(reason);
                    }
                }, HANDLE_TIMEOUT);
        in.onPartitions(new PartitionHandover(stateReader, context, core.coordinator));
        return in;
    }

    /** Kafka: the producer made and the consumer polling its partitions; state: those partitions' tasks restored. */
    private Readiness readiness() {
        KafkaIngress in = ingress;
        return new Readiness(core != null && in != null && in.isConsuming(), core != null && started);
    }

    /** The agents' and tasks' gauges, and the per-worker ones refreshed every second. */
    private void watchWorkers() {
        AgentDirectory agents = core.directory;
        metrics.gauges(agents::connectedCount, core.coordinator::activeTasks, agents::reconnects);
        gaugeTimer = vertx.setPeriodic(1_000, id -> refreshWorkerGauges());
    }

    private void refreshWorkerGauges() {
        metrics.workers(core.directory.workers(), core.coordinator.activeTasksByWorker());
    }

    @Override
    public Future<?> stop() {
        Future<Void> ingressStopped = ingress == null ? Future.succeededFuture()
                : Future.fromCompletionStage(ingress.stop(), context);
        started = false;
        if (stateReader != null) {
            stateReader.dropReadAhead();
        }
        return ingressStopped.eventually(() -> {
            if (gaugeTimer >= 0) {
                vertx.cancelTimer(gaugeTimer);
            }
            if (core != null) {
                core.stop();
            }
            return gateway == null ? Future.succeededFuture() : gateway.close();
        }).eventually(() -> admin == null ? Future.succeededFuture() : admin.close())
          .eventually(() -> vertx.executeBlocking(() -> {
            if (core != null) {
                core.close();
            }
            return null;
        })).onComplete(ignored -> queries.detach());
    }
}
