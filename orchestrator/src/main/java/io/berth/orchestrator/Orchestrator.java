package io.berth.orchestrator;

import io.berth.events.InputRoots;
import io.berth.events.TlsFiles;
import io.berth.orchestrator.api.AdminApi;
import io.berth.orchestrator.gateway.WorkerInfo;
import io.berth.orchestrator.metrics.OrchestratorMetrics;
import io.berth.orchestrator.view.OrchestratorQueries;
import io.berth.orchestrator.view.Readiness;
import io.berth.orchestrator.view.TaskView;
import io.berth.protocol.FetchLogs;
import io.berth.protocol.LogChunk;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The Berth orchestrator: consumes task and service events from Kafka, runs each task's state machine,
 * places tasks on workers, commands their agents over gRPC and publishes {@code berth.task.services.*}.
 *
 * <pre>{@code
 * Orchestrator orchestrator = new Orchestrator(vertx,
 *         OrchestratorSettings.builder("127.0.0.1:9092").grpcPort(0).build());
 * orchestrator.start().await();          // topics ensured, gRPC bound, consumer assigned
 * int port = orchestrator.grpcPort();    // agents dial this
 * ...
 * orchestrator.stop().await();
 * }</pre>
 *
 * Everything runs on one Vert.x context (the {@link OrchestratorVerticle}, which wires the parts) except the Kafka
 * consumer, which has its own thread. The {@link OrchestratorQueries} hop onto that context.
 */
public final class Orchestrator implements OrchestratorQueries {
    private final Vertx vertx;
    private final OrchestratorSettings settings;
    private final PrometheusMeterRegistry registry;
    private final OrchestratorMetrics metrics;
    private OrchestratorVerticle verticle;
    private String deploymentId;
    private TlsFiles agentTls;
    private InputRoots inputRoots;

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
    public synchronized Orchestrator withAgentTls(TlsFiles tls) {
        this.agentTls = tls;
        return this;
    }

    /**
     * Refuses at the door a {@code task.started} whose inputs are not under these roots (as written; the agents
     * check again on their machine). Call before {@link #start()}; without it only the agents check.
     */
    public synchronized Orchestrator withInputRoots(InputRoots roots) {
        this.inputRoots = roots;
        return this;
    }

    /** Ensures the topics, binds the gRPC gateway and starts consuming; completes when all three are done. */
    public synchronized Future<Void> start() {
        if (verticle != null) {
            return Future.failedFuture(new IllegalStateException("already started"));
        }
        OrchestratorVerticle v = new OrchestratorVerticle(settings, registry, metrics, agentTls, inputRoots, this);
        verticle = v;
        return vertx.deployVerticle(v).onComplete((id, error) -> {
            synchronized (this) {
                if (error == null) {
                    deploymentId = id;
                } else if (verticle == v) {
                    verticle = null;
                }
            }
        }).mapEmpty();
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

    public PrometheusMeterRegistry meterRegistry() {
        return registry;
    }

    /** The gateway's bound port (useful with {@code grpcPort = 0}); -1 before {@link #start()} completed. */
    public int grpcPort() {
        OrchestratorVerticle v = verticle;
        return v == null || v.gateway == null ? -1 : v.gateway.port();
    }

    /** The admin API, once listening. */
    public Optional<AdminApi> adminApi() {
        OrchestratorVerticle v = verticle;
        return Optional.ofNullable(v == null ? null : v.admin);
    }

    /** The admin API's bound port (useful with port 0); -1 when it is not listening. */
    public int httpPort() {
        return adminApi().map(AdminApi::port).orElse(-1);
    }

    @Override
    public Readiness readiness() {
        OrchestratorVerticle v = verticle;
        boolean kafka = v != null && v.publisher != null && v.ingress != null && v.ingress.isConsuming();
        boolean state = v != null && v.coordinator != null && v.started;
        return new Readiness(kafka, state);
    }

    @Override
    public Future<List<WorkerInfo>> workers() {
        return onContext(v -> v.directory.workers());
    }

    @Override
    public Future<Optional<TaskView>> task(String taskId) {
        return onContext(v -> v.coordinator.task(taskId).map(TaskView::of));
    }

    @Override
    public Future<List<TaskView>> tasks() {
        return onContext(v -> v.coordinator.tasks().stream().map(TaskView::of).toList());
    }

    @Override
    public Future<Boolean> drain(String worker, boolean draining) {
        return onContext(v -> v.directory.drain(worker, draining));
    }

    /** {@link #forceRelease(String, String)} on the operator's behalf through the admin API. */
    public Future<Optional<TaskView>> forceRelease(String taskId) {
        return forceRelease(taskId, "requested through the admin API");
    }

    @Override
    public Future<Optional<TaskView>> forceRelease(String taskId, String why) {
        return onContext(v -> v.coordinator.forceRelease(taskId, why).map(TaskView::of));
    }

    @Override
    public Future<LogChunk> fetchLogs(String worker, FetchLogs request, long timeoutMillis) {
        return onContext(v -> v.directory).compose(d -> d.fetchLogs(worker, request, timeoutMillis));
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
}
