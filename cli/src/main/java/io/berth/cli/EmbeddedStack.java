package io.berth.cli;

import io.berth.agent.AgentSettings;
import io.berth.agent.boot.WorkerAgent;
import io.berth.agent.link.LinkSettings;
import io.berth.cli.certs.CertificateAuthority;
import io.berth.events.InputRoots;
import io.berth.kafka.embedded.EmbeddedKafka;
import io.berth.orchestrator.Orchestrator;
import io.berth.orchestrator.OrchestratorSettings;
import io.berth.orchestrator.api.AdminSettings;
import io.vertx.core.Vertx;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * Kafka (embedded KRaft), the orchestrator and one worker agent, all in this JVM: what {@code berth run}
 * and {@code berth up} start, and what the tests and the load generator run against.
 */
public final class EmbeddedStack implements Stack {
    /**
     * @param httpPort         the admin API's port (0: any free port; negative: none), on 127.0.0.1
     * @param apiToken         bearer token for the admin API's mutating calls (null: read-only)
     * @param agentMetricsPort the agent's /metrics port (0: any free port; negative: none), on 127.0.0.1
     * @param apiReadToken     bearer token the admin API's reads need (null: reads are open)
     */
    public record Options(int kafkaPort, int grpcPort, Path dataDir, String worker, int httpPort, String apiToken,
                   int agentMetricsPort, String apiReadToken) {
        public Options(int kafkaPort, int grpcPort, Path dataDir, String worker, int httpPort, String apiToken,
                       int agentMetricsPort) {
            this(kafkaPort, grpcPort, dataDir, worker, httpPort, apiToken, agentMetricsPort, null);
        }

        public Options(int kafkaPort, int grpcPort, Path dataDir, String worker) {
            this(kafkaPort, grpcPort, dataDir, worker, 0, null, 0);
        }

        /** A worker name of its own, so concurrent {@code berth run}s never share (or reap) an agent's state. */
        public static Options defaults() {
            return new Options(0, 0, null, "local-" + ProcessHandle.current().pid());
        }
    }

    /** How long stopping waits for the tasks' releases (the longest grace period of their services, roughly). */
    private static final java.time.Duration RELEASE_WAIT = java.time.Duration.ofSeconds(30);

    private final EmbeddedKafka kafka;
    private final Vertx vertx;
    private final Orchestrator orchestrator;
    private final WorkerAgent agent;
    private final Path agentStateDir;
    private final CertificateAuthority ca;
    private final Path temp;
    private boolean closed;

    private EmbeddedStack(EmbeddedKafka kafka, Vertx vertx, Orchestrator orchestrator, WorkerAgent agent,
                          Path agentStateDir, CertificateAuthority ca, Path temp) {
        this.kafka = kafka;
        this.vertx = vertx;
        this.orchestrator = orchestrator;
        this.agent = agent;
        this.agentStateDir = agentStateDir;
        this.ca = ca;
        this.temp = temp;
    }

    public static EmbeddedStack start(Options options, PrintWriter log) {
        return start(options, log, UnaryOperator.identity());
    }

    /** @param agentSettings adjusts the agent's defaults (state directory, capacity, ...) */
    public static EmbeddedStack start(Options options, PrintWriter log, UnaryOperator<AgentSettings> agentSettings) {
        long t0 = System.nanoTime();
        var builder = EmbeddedKafka.builder();
        if (options.kafkaPort() > 0) {
            builder.port(options.kafkaPort());
        }
        // without a data directory, Kafka's data and the certificates go to a private temporary directory (0700)
        Path temp = options.dataDir() != null ? null : newTemporaryDir();
        builder.logDir(options.dataDir() != null ? options.dataDir() : temp.resolve("kafka"));
        // the agent gateway speaks mutual TLS with a CA of this stack's own, in a private directory: another user of
        // this machine can neither register as a worker nor read commands
        CertificateAuthority ca;
        EmbeddedKafka kafka;
        try {
            ca = CertificateAuthority.openOrCreate(options.dataDir() != null
                    ? options.dataDir().toAbsolutePath().resolve("tls") : temp.resolve("tls").resolve("ca"));
            kafka = builder.start();
        } catch (RuntimeException e) {
            if (temp != null) {
                StackTempDir.delete(temp);
            }
            throw e;
        }
        // inputs of tasks run from this machine: its working directory and temporary files, unless the operator
        // says otherwise; never the agent's state (WorkerAgent excludes it)
        InputRoots inputRoots = InputRoots.fromEnvironment(InputRoots.of(java.util.List.of(Path.of("").toAbsolutePath(),
                Path.of(System.getProperty("java.io.tmpdir")))));
        var registry = io.berth.orchestrator.metrics.OrchestratorMetrics.prometheus();
        // Vert.x's cache of class-path files in the stack's temporary directory: a killed stack leaves it nowhere else
        Vertx vertx = io.berth.orchestrator.metrics.MeteredVertx.create(registry, temp == null ? null
                : temp.resolve("vertx"));
        Orchestrator orchestrator = null;
        WorkerAgent agent = null;
        // the agent lives in this process: its services die with it rather than wait for a successor
        AgentSettings defaults = AgentSettings.defaults(options.worker());
        AgentSettings settings = agentSettings.apply(defaults.withSandbox(defaults.sandbox()
                .withServicesDyingWithAgent(true)));
        try {
            orchestrator = new Orchestrator(vertx, OrchestratorSettings.builder(kafka.bootstrapServers())
                    .grpc("127.0.0.1", options.grpcPort()) // the all-in-one stack serves this machine only
                    .admin(new AdminSettings("127.0.0.1", options.httpPort(), options.apiToken(),
                            options.apiReadToken())).build(),
                    registry).withAgentTls(ca.issueOrchestrator(java.util.List.of("127.0.0.1", "localhost")))
                    .withInputRoots(inputRoots);
            await(orchestrator.start());
            agent = new WorkerAgent(vertx, settings, LinkSettings.of("127.0.0.1", orchestrator.grpcPort())
                    .withTls(ca.issueAgent(settings.workerName())), kafka.bootstrapServers())
                    .withInputRoots(inputRoots);
            if (options.agentMetricsPort() >= 0) {
                agent.withMetricsEndpoint("127.0.0.1", options.agentMetricsPort());
            }
            await(agent.start());
        } catch (RuntimeException e) {
            new EmbeddedStack(kafka, vertx, orchestrator, agent, settings.stateDir(), ca, temp).close();
            throw e;
        }
        if (log != null) {
            log.printf("berth: embedded stack up in %d ms (kafka %s)%n", (System.nanoTime() - t0) / 1_000_000,
                    kafka.bootstrapServers());
            log.flush();
        }
        return new EmbeddedStack(kafka, vertx, orchestrator, agent, settings.stateDir(), ca, temp);
    }

    private static Path newTemporaryDir() {
        try {
            return StackTempDir.create();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot make a private temporary directory for the stack", e);
        }
    }

    /** The stack's certificate authority (its agent gateway trusts the agents it signs). */
    CertificateAuthority certificateAuthority() {
        return ca;
    }

    @Override
    public java.util.Optional<Path> agentStateDir() {
        return java.util.Optional.of(agentStateDir);
    }

    @Override
    public java.util.Optional<Path> temporaryDir() {
        return java.util.Optional.ofNullable(temp);
    }

    @Override
    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    int grpcPort() {
        return orchestrator.grpcPort();
    }

    /** The admin API's port; -1 when it has none. */
    int httpPort() {
        return orchestrator.httpPort();
    }

    /** The admin API's base URL. */
    String apiUrl() {
        return "http://127.0.0.1:" + httpPort();
    }

    int agentMetricsPort() {
        return agent.metricsPort();
    }

    WorkerAgent agent() {
        return agent;
    }

    Orchestrator orchestrator() {
        return orchestrator;
    }

    /**
     * Releases every task's services through the orchestrator (so each CI platform waiting on a task gets its
     * {@code released}), then stops the agent, the orchestrator and Kafka, in that order.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (agent != null && orchestrator != null) {
                TaskReleaser.releaseAll(orchestrator, RELEASE_WAIT);
            }
            if (agent != null) {
                await(agent.stop());
            }
            if (orchestrator != null) {
                await(orchestrator.stop());
            }
        } finally {
            try {
                await(vertx.close());
                kafka.close();
            } finally {
                if (temp != null) {
                    StackTempDir.delete(temp);
                }
            }
        }
    }

    private static <T> T await(io.vertx.core.Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
