package io.berth.cli;

import io.berth.orchestrator.Orchestrator;
import io.berth.orchestrator.OrchestratorSettings;
import io.berth.orchestrator.api.AdminSettings;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code berth orchestrator}: the orchestrator alone, against an existing Kafka; configured by BERTH_* variables. */
@Command(name = "orchestrator", mixinStandardHelpOptions = true,
        description = "Run the orchestrator against a Kafka cluster (for deployments; see deploy/). Every option "
                + "defaults to its environment variable. Stops gracefully on SIGTERM.")
final class OrchestratorServeCommand implements Callable<Integer> {
    @Option(names = "--kafka", required = true, defaultValue = "${env:BERTH_KAFKA_BOOTSTRAP}",
            description = "Kafka bootstrap servers (BERTH_KAFKA_BOOTSTRAP).")
    String kafka;

    @Option(names = "--grpc-host", defaultValue = "${env:BERTH_GRPC_HOST:-0.0.0.0}",
            description = "Interface agents dial (BERTH_GRPC_HOST, default ${DEFAULT-VALUE}).")
    String grpcHost;

    @Option(names = "--grpc-port", defaultValue = "${env:BERTH_GRPC_PORT:-7700}",
            description = "Port agents dial (BERTH_GRPC_PORT, default ${DEFAULT-VALUE}).")
    int grpcPort;

    @Option(names = "--http-host", defaultValue = "${env:BERTH_HTTP_HOST:-0.0.0.0}",
            description = "Interface of the admin API and /metrics (BERTH_HTTP_HOST, default ${DEFAULT-VALUE}).")
    String httpHost;

    @Option(names = "--http-port", defaultValue = "${env:BERTH_HTTP_PORT:-7780}",
            description = "Port of the admin API and /metrics (BERTH_HTTP_PORT, default ${DEFAULT-VALUE}).")
    int httpPort;

    @Option(names = "--api-token", defaultValue = "${env:BERTH_API_TOKEN}",
            description = "Bearer token for the admin API's mutating calls (BERTH_API_TOKEN; none: read-only).")
    String apiToken;

    @Option(names = "--api-read-token", defaultValue = "${env:BERTH_API_READ_TOKEN}",
            description = "Bearer token the admin API's reads (tasks, workers, logs) need, or the API token "
                    + "(BERTH_API_READ_TOKEN; none: reads are open to whoever reaches the port).")
    String apiReadToken;

    @Option(names = "--instance", defaultValue = "${env:BERTH_INSTANCE}",
            description = "This orchestrator's name in its events' source (BERTH_INSTANCE, default: the host name).")
    String instance;

    @Option(names = "--partitions", defaultValue = "${env:BERTH_TOPIC_PARTITIONS:-3}",
            description = "Partitions of the topics when Berth creates them (BERTH_TOPIC_PARTITIONS, default ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--placement-wait", defaultValue = "${env:BERTH_PLACEMENT_WAIT_SECONDS:-30}",
            description = "Seconds a task waits for a worker (BERTH_PLACEMENT_WAIT_SECONDS, default ${DEFAULT-VALUE}).")
    long placementWaitSeconds;

    @Option(names = "--task-max-lifetime", defaultValue = "${env:BERTH_TASK_MAX_LIFETIME_SECONDS:-86400}",
            description = "Seconds after task.started a task whose task.ended never came is failed and its services "
                    + "released (BERTH_TASK_MAX_LIFETIME_SECONDS, default ${DEFAULT-VALUE}; 0: never).")
    long taskMaxLifetimeSeconds;

    @Option(names = "--group-session-timeout", defaultValue = "${env:BERTH_GROUP_SESSION_TIMEOUT_MS:-45000}",
            description = "Milliseconds the orchestrators' consumer group waits for a silent (killed) instance before "
                    + "its tasks go to the others (BERTH_GROUP_SESSION_TIMEOUT_MS, default ${DEFAULT-VALUE}; the "
                    + "broker allows 6000 and more by default).")
    long groupSessionTimeoutMillis;

    @Option(names = "--agent-heartbeat-timeout", defaultValue = "${env:BERTH_AGENT_HEARTBEAT_TIMEOUT_MS:-10000}",
            description = "Milliseconds an agent's link may stay silent before it counts as disconnected "
                    + "(BERTH_AGENT_HEARTBEAT_TIMEOUT_MS, default ${DEFAULT-VALUE}; a link that breaks counts at "
                    + "once).")
    long agentHeartbeatTimeoutMillis;

    @Option(names = "--agent-lost-after", defaultValue = "${env:BERTH_AGENT_LOST_MS:-10000}",
            description = "Milliseconds a disconnected agent has to come back before it is lost and its tasks get "
                    + "task.services.failed (BERTH_AGENT_LOST_MS, default ${DEFAULT-VALUE}).")
    long agentLostMillis;

    @Mixin
    TlsOptions tls = new TlsOptions();

    @Option(names = "--grpc-plaintext", defaultValue = "${env:BERTH_GRPC_PLAINTEXT:-false}",
            description = "Serve the agent gateway without TLS (BERTH_GRPC_PLAINTEXT): then any process that reaches "
                    + "the gRPC port can act as a worker and receive tasks' secrets. Only for a trusted network.")
    boolean grpcPlaintext;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        var agentTls = tls.files();
        if (agentTls == null && !grpcPlaintext) {
            throw new IllegalArgumentException("the agent gateway needs mutual TLS: set BERTH_TLS_CA, BERTH_TLS_CERT "
                    + "and BERTH_TLS_KEY (berth certs makes them), or BERTH_GRPC_PLAINTEXT=true on a trusted network");
        }
        OrchestratorSettings.Builder builder = OrchestratorSettings.builder(kafka)
                .grpc(grpcHost, grpcPort)
                .topicPartitions(partitions)
                .placementWait(Duration.ofSeconds(placementWaitSeconds))
                .admin(new AdminSettings(httpHost, httpPort, apiToken, apiReadToken))
                .maxTaskLifetime(Duration.ofSeconds(taskMaxLifetimeSeconds))
                .groupSessionTimeout(Duration.ofMillis(groupSessionTimeoutMillis))
                .agentTimeouts(Duration.ofMillis(agentHeartbeatTimeoutMillis), Duration.ofMillis(agentLostMillis));
        if (instance != null && !instance.isBlank()) {
            builder.instance(instance);
        }
        OrchestratorSettings settings = builder.build();
        var registry = io.berth.orchestrator.metrics.OrchestratorMetrics.prometheus();
        Vertx vertx = io.berth.orchestrator.metrics.MeteredVertx.create(registry);
        Orchestrator orchestrator = new Orchestrator(vertx, settings, registry).withAgentTls(agentTls)
                .withInputRoots(io.berth.events.InputRoots.fromEnvironment(null)); // BERTH_INPUT_ROOTS
        orchestrator.start().toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
        spec.commandLine().getOut().printf("berth orchestrator: gRPC %s:%d, admin API and metrics on http://%s:%d%n",
                grpcHost, orchestrator.grpcPort(), httpHost, orchestrator.httpPort());
        spec.commandLine().getOut().flush();
        var stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                // two waits, not compose(): a callback chained on the closing Vert.x would never run
                orchestrator.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                System.err.println("berth orchestrator: stopping: " + e.getMessage());
            }
            stopped.countDown();
        }, "berth-shutdown"));
        stopped.await();
        return ExitCodes.OK;
    }
}
