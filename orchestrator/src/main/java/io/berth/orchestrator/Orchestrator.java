package io.berth.orchestrator;

import io.berth.events.EventCodec;
import io.berth.events.Topics;
import io.berth.events.payload.ServiceReady;
import io.berth.events.payload.ServiceStopped;
import io.berth.orchestrator.api.AdminApi;
import io.berth.orchestrator.gateway.AgentDirectory;
import io.berth.orchestrator.gateway.AgentGateway;
import io.berth.orchestrator.gateway.WorkerInfo;
import io.berth.orchestrator.ingress.EventTranslator;
import io.berth.orchestrator.ingress.KafkaIngress;
import io.berth.orchestrator.ingress.StateReader;
import io.berth.orchestrator.metrics.OrchestratorMetrics;
import io.berth.orchestrator.placement.PlacementChain;
import io.berth.orchestrator.placement.Placer;
import io.berth.orchestrator.publish.EventPublisher;
import io.berth.orchestrator.state.Task;
import io.berth.protocol.FetchLogs;
import io.berth.protocol.LogChunk;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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
    private io.berth.events.TlsFiles agentTls;
    private io.berth.events.InputRoots inputRoots;

    public Orchestrator(Vertx vertx, OrchestratorSettings settings) {
        this(vertx, settings, OrchestratorMetrics.prometheus());
    }

    public Orchestrator(Vertx vertx, OrchestratorSettings settings, PrometheusMeterRegistry registry) {
        this.vertx = vertx;
        this.settings = settings;
        this.registry = registry;
        this.metrics = new OrchestratorMetrics(registry);
    }

    /**
     * Serves the agent gateway with mutual TLS: this certificate, and agents' certificates checked against the CA
     * (see {@code AgentGateway}). Call before {@link #start()}; without it the gateway is plaintext.
     */
    public synchronized Orchestrator withAgentTls(io.berth.events.TlsFiles tls) {
        this.agentTls = tls;
        return this;
    }

    /**
     * Refuses at the door a {@code task.started} whose inputs are not under these roots (as written; the agents
     * check again on their machine). Call before {@link #start()}; without it only the agents check.
     */
    public synchronized Orchestrator withInputRoots(io.berth.events.InputRoots roots) {
        this.inputRoots = roots;
        return this;
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

    /**
     * Releases a task's services now, as if {@code task.ended} (outcome {@code force-released}) had arrived: the
     * normal SIGTERM → grace → SIGKILL path, and {@code released} published. Empty when the task is unknown.
     */
    public Future<Optional<TaskView>> forceRelease(String taskId) {
        return onContext(v -> v.coordinator.forceRelease(taskId).map(TaskView::of));
    }

    /** {@link #forceRelease(String)}, saying why in the task's timeline (e.g. the all-in-one stack is stopping). */
    public Future<Optional<TaskView>> forceRelease(String taskId, String why) {
        return onContext(v -> v.coordinator.forceRelease(taskId, why).map(TaskView::of));
    }

    /** Reads part of a service's log from the agent of {@code worker} (see {@link AgentDirectory#fetchLogs}). */
    public Future<LogChunk> fetchLogs(String worker, FetchLogs request, long timeoutMillis) {
        return onContext(v -> v.directory).compose(d -> d.fetchLogs(worker, request, timeoutMillis));
    }

    /** The admin API, once listening. */
    public Optional<AdminApi> adminApi() {
        OrchestratorVerticle v = verticle;
        return Optional.ofNullable(v == null ? null : v.admin);
    }

    /** The admin API's bound port (useful with port 0); -1 when it is not listening. */
    public int httpPort() {
        OrchestratorVerticle v = verticle;
        return v == null || v.admin == null ? -1 : v.admin.port();
    }

    /**
     * Whether the orchestrator can do its work: Kafka reachable (topics ensured, producer created) and the consumer
     * assigned its partitions and polling, so the task state it holds is current.
     */
    public Readiness readiness() {
        OrchestratorVerticle v = verticle;
        boolean kafka = v != null && v.publisher != null && v.ingress != null && v.ingress.isConsuming();
        boolean state = v != null && v.coordinator != null && v.started;
        return new Readiness(kafka, state);
    }

    /** See {@link #readiness()}. */
    public record Readiness(boolean kafka, boolean state) {
        public boolean ready() {
            return kafka && state;
        }
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
        AdminApi admin;
        volatile boolean started;
        long evictionTimer = -1;
        long gaugeTimer = -1;

        @Override
        public Future<?> start() {
            ctx = context;
            long t0 = System.nanoTime();
            EventCodec codec = new EventCodec(settings.eventSource());
            Future<?> adminUp = Future.succeededFuture();
            if (settings.admin() != null && settings.admin().httpPort() >= 0) {
                admin = new AdminApi(vertx, Orchestrator.this, registry, settings.admin());
                adminUp = admin.listen();
            }
            // unordered: an ordered blocking call would hold up every other one of this context (the admin API's
            // request validation among them) for as long as Kafka takes to answer
            Future<Void> topics = adminUp.compose(a -> vertx.executeBlocking(() -> {
                BerthTopics.ensure(settings.bootstrapServers(), settings.topicPartitions());
                return null;
            }, false));
            return topics.compose(v -> {
                publisher = new EventPublisher(
                        EventPublisher.producer(settings.bootstrapServers(), "berth-orchestrator-" + settings.instance()),
                        new EventCodec(settings.outputSource(),
                                java.util.Map.of(OrchestratorSettings.INSTANCE_EXTENSION, settings.instance())),
                        metrics::eventOut);
                directory = new AgentDirectory(vertx, settings.agentLostMillis());
                Placer placer = new Placer(vertx, PlacementChain.standard(), directory::candidates,
                        settings.placementWaitMillis());
                coordinator = new TaskCoordinator(vertx, context, settings, placer, directory, publisher, metrics);
                directory.addListener(coordinator);
                AgentDirectory agents = directory;
                metrics.gauges(agents::connectedCount, coordinator::activeTasks, agents::reconnects);
                gaugeTimer = vertx.setPeriodic(1_000, id -> refreshWorkerGauges());
                gateway = new AgentGateway(vertx, directory, settings.heartbeatTimeoutMillis(), agentTls);
                evictionTimer = vertx.setPeriodic(Math.max(1_000, Math.min(60_000, settings.taskRetentionMillis() / 2)),
                        id -> coordinator.evictOld());
                return gateway.listen(settings.grpcHost(), settings.grpcPort());
            }).compose(port -> {
                var consumer = KafkaIngress.consumer(settings.bootstrapServers(), settings.groupId(),
                        "berth-orchestrator-" + settings.instance(), settings.groupSessionTimeoutMillis());
                metrics.consumerLag(() -> recordsLagMax(consumer));
                ingress = new KafkaIngress(consumer,
                        new EventTranslator(codec, inputRoots), publisher, this::handle, new KafkaIngress.Observer() {
                            @Override
                            public void received(String topic, String eventType) {
                                metrics.eventIn(eventType);
                            }

                            @Override
                            public void deadLettered(String reason) {
                                metrics.deadLetter(reason);
                            }
                        }, Duration.ofSeconds(60));
                ingress.onPartitions(new StateHandover(new StateReader(settings.bootstrapServers())));
                return Future.fromCompletionStage(ingress.start(), context);
            }).onSuccess(v -> started = true).recover(error -> {
                LOG.error("orchestrator failed to start: {}", error.toString());
                return stop().transform(ignored -> Future.failedFuture(error));
            }).onSuccess(v -> LOG.info("orchestrator started in {} ms: gRPC on {}:{}, Kafka {}, consuming {} and {}",
                    (System.nanoTime() - t0) / 1_000_000, settings.grpcHost(), gateway.port(),
                    settings.bootstrapServers(), Topics.TASK_EVENTS, Topics.SERVICE_EVENTS));
        }

        /**
         * Restores the tasks of partitions assigned to this instance from {@code berth.orchestrator-state} and drops
         * those of revoked ones; called on the ingress thread, which waits for the coordinator to be done.
         */
        private final class StateHandover implements KafkaIngress.Partitions {
            private final StateReader reader;

            StateHandover(StateReader reader) {
                this.reader = reader;
            }

            @Override
            public void assigned(java.util.Set<Integer> partitions, int partitionCount) {
                var snapshots = reader.read(partitions, Duration.ofSeconds(30));
                awaitOnContext(() -> {
                    coordinator.restore(snapshots.values());
                    coordinator.partitionsChanged(partitions, partitionCount, true);
                    return Future.succeededFuture();
                });
            }

            @Override
            public void revoked(java.util.Set<Integer> partitions, int partitionCount) {
                if (partitionCount > 0) {
                    awaitOnContext(() -> coordinator.forget(
                            taskId -> partitions.contains(StateReader.partitionOf(taskId, partitionCount)))
                            .onSuccess(v -> coordinator.partitionsChanged(partitions, partitionCount, false)));
                }
            }

            private void awaitOnContext(java.util.function.Supplier<Future<Void>> action) {
                CompletableFuture<Void> done = new CompletableFuture<>();
                ctx.runOnContext(x -> {
                    try {
                        action.get().onComplete((v, e) -> {
                            if (e == null) {
                                done.complete(null);
                            } else {
                                done.completeExceptionally(e);
                            }
                        });
                    } catch (RuntimeException e) {
                        done.completeExceptionally(e);
                    }
                });
                try {
                    done.get(30, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", e);
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    throw new IllegalStateException("state handover failed: " + e, e);
                }
            }
        }

        /** Kafka's own client-level records-lag-max of the consumer (its metrics map is safe to read anywhere). */
        private static Double recordsLagMax(org.apache.kafka.clients.consumer.Consumer<?, ?> consumer) {
            try {
                for (var e : consumer.metrics().entrySet()) {
                    var name = e.getKey();
                    if (name.name().equals("records-lag-max") && name.group().equals("consumer-fetch-manager-metrics")
                            && !name.tags().containsKey("topic") && e.getValue().metricValue() instanceof Double d) {
                        return d;
                    }
                }
            } catch (RuntimeException closed) {
                // the consumer is closed: no lag to report
            }
            return 0.0;
        }

        private void refreshWorkerGauges() {
            List<WorkerInfo> workers = directory.workers();
            workers.forEach(w -> metrics.workerSeen(w.worker()));
            metrics.workers(workers, coordinator.activeTasksByWorker());
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

    /**
     * A read-only snapshot of a task, for the CLI and the admin API.
     *
     * @param requestedWorker the worker {@code task.started} named, or null
     * @param timeline        what happened to the task, oldest first
     */
    public record TaskView(String taskId, String phase, String worker, long generation, String failure,
                           String endedOutcome, List<ServiceView> services, String requestedWorker,
                           long updatedAtMillis, List<Task.TimelineEntry> timeline) {
        static TaskView of(Task task) {
            Map<String, String> configs = new java.util.HashMap<>();
            if (task.request() != null) {
                task.request().services().forEach(s -> configs.put(s.name(), s.configJson()));
            }
            List<ServiceView> services = new java.util.ArrayList<>();
            for (var s : task.services()) {
                services.add(new ServiceView(s.name(), s.status().name(), s.exitCode(), s.failureReason(),
                        s.stopped() == null ? null : s.stopped().signal(), s.probeAttempts(), configs.get(s.name()),
                        s.ready(), s.stopped(), s.logTail()));
            }
            if (services.isEmpty() && task.request() != null) {
                // not placed (yet): the requested services, pending
                task.request().services().forEach(r -> services.add(new ServiceView(r.name(), "PENDING", null, null,
                        null, 0, r.configJson(), null, null, List.of())));
            }
            return new TaskView(task.taskId(), task.phase().name(), task.worker(), task.generation(), task.failure(),
                    task.endedOutcome(), List.copyOf(services),
                    task.request() == null ? null : task.request().worker(), task.updatedAtMillis(),
                    List.copyOf(task.timeline()));
        }
    }

    /**
     * A service of a {@link TaskView}.
     *
     * @param configJson the config the agent was sent (an inline config resolved, or the {@code file:} entry)
     * @param ready      the ready event (host, ports, timings), null until ready
     * @param stopped    the stopped event (signal, duration, exit code), null until stopped
     * @param logTail    the last log lines its failed or exited event carried
     */
    public record ServiceView(String name, String status, Integer exitCode, String failureReason, String stopSignal,
                              int probeAttempts, String configJson, ServiceReady ready, ServiceStopped stopped,
                              List<String> logTail) {}
}
