package io.berth.orchestrator;

import io.berth.events.EventCodec;
import io.berth.events.Topics;
import io.berth.orchestrator.gateway.AgentDirectory;
import io.berth.orchestrator.gateway.AgentGateway;
import io.berth.orchestrator.gateway.WorkerInfo;
import io.berth.orchestrator.ingress.EventTranslator;
import io.berth.orchestrator.ingress.KafkaIngress;
import io.berth.orchestrator.metrics.OrchestratorMetrics;
import io.berth.orchestrator.placement.PlacementChain;
import io.berth.orchestrator.placement.Placer;
import io.berth.orchestrator.publish.EventPublisher;
import io.berth.orchestrator.state.Task;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Berth orchestrator: consumes task and service events from Kafka, runs each task's state machine,
 * places tasks on workers, commands their agents over gRPC and publishes {@code berth.task.services.*}.
 *
 * <pre>{@code
 * Orchestrator orchestrator = new Orchestrator(vertx, OrchestratorSettings.defaults("127.0.0.1:9092").withGrpcPort(0));
 * orchestrator.start().await();          // topics ensured, gRPC bound, consumer assigned
 * int port = orchestrator.grpcPort();    // agents dial this
 * ...
 * orchestrator.stop().await();
 * }</pre>
 *
 * Everything runs on one Vert.x context (the orchestrator's verticle) except the Kafka consumer, which
 * has its own thread. The query methods ({@link #workers()}, {@link #task}) hop onto that context.
 */
public final class Orchestrator {
    private static final Logger LOG = LoggerFactory.getLogger(Orchestrator.class);

    private final Vertx vertx;
    private final OrchestratorSettings settings;
    private final PrometheusMeterRegistry registry;
    private final OrchestratorMetrics metrics;
    private OrchestratorVerticle verticle;
    private String deploymentId;

    public Orchestrator(Vertx vertx, OrchestratorSettings settings) {
        this(vertx, settings, OrchestratorMetrics.prometheus());
    }

    public Orchestrator(Vertx vertx, OrchestratorSettings settings, PrometheusMeterRegistry registry) {
        this.vertx = vertx;
        this.settings = settings;
        this.registry = registry;
        this.metrics = new OrchestratorMetrics(registry);
    }

    /** Ensures the topics, binds the gRPC gateway and starts consuming; completes when all three are done. */
    public synchronized Future<Void> start() {
        if (verticle != null) {
            return Future.failedFuture(new IllegalStateException("already started"));
        }
        OrchestratorVerticle v = new OrchestratorVerticle();
        verticle = v;
        return vertx.deployVerticle(v)
                .onComplete((id, error) -> {
                    synchronized (this) {
                        if (error == null) {
                            deploymentId = id;
                        } else if (verticle == v) {
                            verticle = null;
                        }
                    }
                })
                .mapEmpty();
    }

    /** Stops consuming, closes agent streams and the producer. */
    public synchronized Future<Void> stop() {
        if (deploymentId == null) {
            return Future.succeededFuture();
        }
        String id = deploymentId;
        deploymentId = null;
        return vertx.undeploy(id).onComplete((v, e) -> {
            synchronized (this) {
                verticle = null;
            }
        });
    }

    public OrchestratorSettings settings() {
        return settings;
    }

    /** The gateway's bound port (useful with {@code grpcPort = 0}); -1 before {@link #start()} completed. */
    public int grpcPort() {
        OrchestratorVerticle v = verticle;
        return v == null || v.gateway == null ? -1 : v.gateway.port();
    }

    /** Known workers (connected or within their lost-grace period), sorted by name. */
    public Future<List<WorkerInfo>> workers() {
        return onContext(v -> v.directory.workers());
    }

    /** A snapshot view of one task's state. */
    public Future<Optional<TaskView>> task(String taskId) {
        return onContext(v -> v.coordinator.task(taskId).map(TaskView::of));
    }

    /** Snapshot views of every remembered task. */
    public Future<List<TaskView>> tasks() {
        return onContext(v -> v.coordinator.tasks().stream().map(TaskView::of).toList());
    }

    /** Stops (or resumes) placing new tasks on {@code worker}; false when it is unknown. */
    public Future<Boolean> drain(String worker, boolean draining) {
        return onContext(v -> v.directory.drain(worker, draining));
    }

    public PrometheusMeterRegistry meterRegistry() {
        return registry;
    }

    private <T> Future<T> onContext(Function<OrchestratorVerticle, T> query) {
        OrchestratorVerticle v = verticle;
        if (v == null || v.ctx == null) {
            return Future.failedFuture(new IllegalStateException("orchestrator not started"));
        }
        Promise<T> promise = Promise.promise();
        v.ctx.runOnContext(x -> {
            try {
                promise.complete(query.apply(v));
            } catch (RuntimeException e) {
                promise.fail(e);
            }
        });
        return promise.future();
    }

    private final class OrchestratorVerticle extends VerticleBase {
        volatile Context ctx;
        AgentDirectory directory;
        AgentGateway gateway;
        TaskCoordinator coordinator;
        EventPublisher publisher;
        KafkaIngress ingress;
        long evictionTimer = -1;

        @Override
        public Future<?> start() {
            ctx = context;
            long t0 = System.nanoTime();
            EventCodec codec = new EventCodec(settings.eventSource());
            Future<Void> topics = vertx.executeBlocking(() -> {
                BerthTopics.ensure(settings.bootstrapServers(), settings.topicPartitions());
                return null;
            });
            return topics.compose(v -> {
                publisher = new EventPublisher(
                        EventPublisher.producer(settings.bootstrapServers(), "berth-orchestrator-" + settings.instance()),
                        codec, metrics::eventOut);
                directory = new AgentDirectory(vertx, settings.agentLostMillis());
                Placer placer = new Placer(vertx, PlacementChain.standard(), directory::candidates,
                        settings.placementWaitMillis());
                coordinator = new TaskCoordinator(vertx, context, settings, placer, directory, publisher, metrics);
                directory.addListener(coordinator);
                AgentDirectory agents = directory;
                metrics.gauges(agents::connectedCount, coordinator::activeTasks);
                gateway = new AgentGateway(vertx, directory, settings.heartbeatTimeoutMillis());
                evictionTimer = vertx.setPeriodic(Math.max(1_000, Math.min(60_000, settings.taskRetentionMillis() / 2)),
                        id -> coordinator.evictOld());
                return gateway.listen(settings.grpcHost(), settings.grpcPort());
            }).compose(port -> {
                ingress = new KafkaIngress(
                        KafkaIngress.consumer(settings.bootstrapServers(), settings.groupId(),
                                "berth-orchestrator-" + settings.instance()),
                        new EventTranslator(codec), publisher, this::handle, new KafkaIngress.Observer() {
                            @Override
                            public void received(String topic, String eventType) {
                                metrics.eventIn(eventType);
                            }

                            @Override
                            public void deadLettered(String reason) {
                                metrics.deadLetter(reason);
                            }
                        }, Duration.ofSeconds(60));
                return Future.fromCompletionStage(ingress.start(), context);
            }).recover(error -> {
                LOG.error("orchestrator failed to start: {}", error.toString());
                return stop().transform(ignored -> Future.failedFuture(error));
            }).onSuccess(v -> LOG.info("orchestrator started in {} ms: gRPC on {}:{}, Kafka {}, consuming {} and {}",
                    (System.nanoTime() - t0) / 1_000_000, settings.grpcHost(), gateway.port(),
                    settings.bootstrapServers(), Topics.TASK_EVENTS, Topics.SERVICE_EVENTS));
        }

        private java.util.concurrent.CompletionStage<Void> handle(io.berth.events.Envelope envelope,
                                                                  io.berth.orchestrator.state.TaskInput input) {
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
            return ingressStopped.eventually(() -> {
                if (evictionTimer >= 0) {
                    vertx.cancelTimer(evictionTimer);
                }
                if (coordinator != null) {
                    coordinator.stop();
                }
                return gateway == null ? Future.succeededFuture() : gateway.close();
            }).eventually(() -> vertx.executeBlocking(() -> {
                if (publisher != null) {
                    publisher.close();
                }
                return null;
            }));
        }
    }

    /** A read-only snapshot of a task, for the CLI and the admin API. */
    public record TaskView(String taskId, String phase, String worker, long generation, String failure,
                           String endedOutcome, List<ServiceView> services) {
        static TaskView of(Task task) {
            return new TaskView(task.taskId(), task.phase().name(), task.worker(), task.generation(), task.failure(),
                    task.endedOutcome(), task.services().stream()
                    .map(s -> new ServiceView(s.name(), s.status().name(), s.exitCode(), s.failureReason(),
                            s.stopped() == null ? null : s.stopped().signal()))
                    .toList());
        }
    }

    /** A service of a {@link TaskView}. */
    public record ServiceView(String name, String status, Integer exitCode, String failureReason, String stopSignal) {}
}
