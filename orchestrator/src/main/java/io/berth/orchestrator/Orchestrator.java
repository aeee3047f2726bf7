package io.berth.orchestrator;

import io.berth.events.InputRoots;
import io.berth.events.TlsFiles;
import io.berth.orchestrator.api.AdminApi;
import io.berth.orchestrator.metrics.OrchestratorMetrics;
import io.berth.orchestrator.view.OrchestratorQueries;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Optional;

/**
 * The Berth orchestrator: consumes task and service events from Kafka, runs each task's state machine,
 * places tasks on workers, commands their agents over gRPC and publishes {@code berth.task.services.*}.
 *
 * <pre>{@code
 * Orchestrator orchestrator = new Orchestrator(vertx,
 *         OrchestratorSettings.builder("127.0.0.1:9092").grpcPort(0).build());
 * orchestrator.start().await();          // topics ensured, gRPC bound, consumer assigned
 * int port = orchestrator.grpcPort();    // agents dial this
 * orchestrator.queries().tasks();        // what the admin API shows
 * ...
 * orchestrator.stop().await();
 * }</pre>
 *
 * The composition root: each {@link #start()} deploys an {@link OrchestratorVerticle}, which starts the parts on one
 * Vert.x context (all but the Kafka consumer, which has its own thread); {@link #queries()} are answered there.
 */
public final class Orchestrator {
    private final Vertx vertx;
    private final OrchestratorSettings settings;
    private final PrometheusMeterRegistry registry;
    private final OrchestratorMetrics metrics;
    private final ContextQueries queries = new ContextQueries();
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
        OrchestratorVerticle v = new OrchestratorVerticle(settings, registry, metrics, agentTls, inputRoots, queries);
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

    /**
     * Its workers and tasks, and the operator's actions on them, as the admin API sees them; callable from any thread
     * and before {@link #start()} (queries then fail: not started).
     */
    public OrchestratorQueries queries() {
        return queries;
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
}
