package io.berth.orchestrator;

import io.berth.events.Envelope;
import io.berth.events.EventCodec;
import io.berth.events.InputRoots;
import io.berth.events.TlsFiles;
import io.berth.events.Topics;
import io.berth.orchestrator.api.AdminApi;
import io.berth.orchestrator.coordinator.AgentPort;
import io.berth.orchestrator.coordinator.OutputPublisher;
import io.berth.orchestrator.coordinator.PartitionHandover;
import io.berth.orchestrator.coordinator.StateStore;
import io.berth.orchestrator.coordinator.TaskCoordinator;
import io.berth.orchestrator.gateway.AgentDirectory;
import io.berth.orchestrator.gateway.AgentGateway;
import io.berth.orchestrator.gateway.WorkerInfo;
import io.berth.orchestrator.ingress.ConsumerLag;
import io.berth.orchestrator.ingress.DeadLetter;
import io.berth.orchestrator.ingress.EventTranslator;
import io.berth.orchestrator.ingress.IngressConsumer;
import io.berth.orchestrator.ingress.KafkaIngress;
import io.berth.orchestrator.ingress.StateReader;
import io.berth.orchestrator.metrics.OrchestratorMetrics;
import io.berth.orchestrator.placement.PlacementChain;
import io.berth.orchestrator.placement.Placer;
import io.berth.orchestrator.publish.EventPublisher;
import io.berth.orchestrator.state.TaskInput;
import io.berth.orchestrator.view.OrchestratorQueries;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the orchestrator's parts on one Vert.x context and starts them in order — admin API, topics, producer, agent
 * gateway, then the Kafka consumer — and stops them in reverse. Every part but the consumer's thread lives here.
 */
final class OrchestratorVerticle extends VerticleBase {
    private static final Logger LOG = LoggerFactory.getLogger(OrchestratorVerticle.class);
    private static final Duration HANDLE_TIMEOUT = Duration.ofSeconds(60);

    private final OrchestratorSettings settings;
    private final OrchestratorSettings.Kafka kafka;
    private final OrchestratorSettings.Timeouts timeouts;
    private final PrometheusMeterRegistry registry;
    private final OrchestratorMetrics metrics;
    private final TlsFiles agentTls;
    private final InputRoots inputRoots;
    private final OrchestratorQueries queries;
    volatile Context ctx;
    AgentDirectory directory;
    AgentGateway gateway;
    TaskCoordinator coordinator;
    EventPublisher publisher;
    KafkaIngress ingress;
    AdminApi admin;
    volatile boolean started;
    private long evictionTimer = -1;
    private long gaugeTimer = -1;

    OrchestratorVerticle(OrchestratorSettings settings, PrometheusMeterRegistry registry, OrchestratorMetrics metrics,
                         TlsFiles agentTls, InputRoots inputRoots, OrchestratorQueries queries) {
        this.settings = settings;
        this.kafka = settings.kafka();
        this.timeouts = settings.timeouts();
        this.registry = registry;
        this.metrics = metrics;
        this.agentTls = agentTls;
        this.inputRoots = inputRoots;
        this.queries = queries;
    }

    @Override
    public Future<?> start() {
        ctx = context;
        long t0 = System.nanoTime();
        Future<?> adminUp = Future.succeededFuture();
        if (settings.admin().enabled()) {
            admin = new AdminApi(vertx, queries, registry, settings.admin());
            adminUp = admin.listen();
        }
        // unordered: an ordered blocking call would hold up every other one of this context (the admin API's
        // request validation among them) for as long as Kafka takes to answer
        Future<Void> topics = adminUp.compose(a -> vertx.executeBlocking(() -> {
            BerthTopics.ensure(kafka.bootstrapServers(), kafka.topicPartitions());
            return null;
        }, false));
        return topics.compose(v -> {
            wireCore();
            gateway = new AgentGateway(vertx, directory, timeouts.heartbeatTimeout().toMillis(), agentTls);
            return gateway.listen(settings.grpc().host(), settings.grpc().port());
        }).compose(port -> {
            var consumer = IngressConsumer.create(kafka.bootstrapServers(), kafka.groupId(),
                    "berth-orchestrator-" + settings.instance(), kafka.groupSessionTimeout().toMillis());
            metrics.consumerLag(() -> ConsumerLag.recordsLagMax(consumer));
            ingress = new KafkaIngress(consumer, new EventTranslator(new EventCodec(settings.eventSource()),
                    inputRoots), publisher, this::handle, new KafkaIngress.Observer() {
                        @Override
                        public void received(String topic, String eventType) {
                            metrics.eventIn(eventType);
                        }

                        @Override
                        public void deadLettered(DeadLetter.Reason reason) {
                            metrics.deadLetter(reason);
                        }
                    }, HANDLE_TIMEOUT);
            ingress.onPartitions(new PartitionHandover(new StateReader(kafka.bootstrapServers()), context,
                    coordinator));
            return Future.fromCompletionStage(ingress.start(), context);
        }).onSuccess(v -> started = true).recover(error -> {
            LOG.error("orchestrator failed to start: {}", error.toString());
            return stop().transform(ignored -> Future.failedFuture(error));
        }).onSuccess(v -> LOG.info("orchestrator started in {} ms: gRPC on {}:{}, Kafka {}, consuming {} and {}",
                (System.nanoTime() - t0) / 1_000_000, settings.grpc().host(), gateway.port(),
                kafka.bootstrapServers(), Topics.TASK_EVENTS, Topics.SERVICE_EVENTS));
    }

    /** The producer, the agent directory, placement and the coordinator with its executors; gauges and eviction. */
    private void wireCore() {
        publisher = new EventPublisher(
                EventPublisher.producer(kafka.bootstrapServers(), "berth-orchestrator-" + settings.instance()),
                new EventCodec(settings.outputSource(),
                        Map.of(OrchestratorSettings.INSTANCE_EXTENSION, settings.instance())),
                metrics::eventOut);
        directory = new AgentDirectory(vertx, timeouts.agentLost().toMillis());
        Placer placer = new Placer(vertx, PlacementChain.standard(), directory::candidates,
                timeouts.placementWait().toMillis());
        EventPublisher out = publisher;
        coordinator = new TaskCoordinator(vertx, placer, AgentPort.of(directory),
                new StateStore(context, out::publishState),
                new OutputPublisher(vertx, context, out::publishTaskServices, metrics),
                metrics, new TaskCoordinator.Deadlines(timeouts.stopTimeout(), timeouts.maxTaskLifetime(),
                        timeouts.taskRetention(), TaskCoordinator.UNKNOWN_TASK_GRACE));
        directory.addListener(coordinator);
        AgentDirectory agents = directory;
        metrics.gauges(agents::connectedCount, coordinator::activeTasks, agents::reconnects);
        gaugeTimer = vertx.setPeriodic(1_000, id -> refreshWorkerGauges());
        evictionTimer = vertx.setPeriodic(Math.max(1_000, Math.min(60_000, timeouts.taskRetention().toMillis() / 2)),
                id -> coordinator.evictOld());
    }

    private void refreshWorkerGauges() {
        List<WorkerInfo> workers = directory.workers();
        workers.forEach(w -> metrics.workerSeen(w.worker()));
        metrics.workers(workers, coordinator.activeTasksByWorker());
    }

    /** The ingress's handler: hops onto this context and applies the event there. */
    private CompletionStage<Void> handle(Envelope envelope, TaskInput input) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        ctx.runOnContext(v -> {
            try {
                coordinator.accept(envelope, input).onComplete((ok, error) -> {
                    if (error == null) {
                        done.complete(null);
                    } else {
                        done.completeExceptionally(error);
                    }
                });
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            }
        });
        return done;
    }

    @Override
    public Future<?> stop() {
        Future<Void> ingressStopped = ingress == null ? Future.succeededFuture()
                : Future.fromCompletionStage(ingress.stop(), context);
        started = false;
        return ingressStopped.eventually(() -> {
            if (evictionTimer >= 0) {
                vertx.cancelTimer(evictionTimer);
            }
            if (gaugeTimer >= 0) {
                vertx.cancelTimer(gaugeTimer);
            }
            if (coordinator != null) {
                coordinator.stop();
            }
            return gateway == null ? Future.succeededFuture() : gateway.close();
        }).eventually(() -> admin == null ? Future.succeededFuture() : admin.close())
          .eventually(() -> vertx.executeBlocking(() -> {
            if (publisher != null) {
                publisher.close();
            }
            return null;
        }));
    }
}
