package io.berth.cli;

import io.berth.agent.AgentSettings;
import io.berth.agent.boot.WorkerAgent;
import io.berth.agent.link.LinkSettings;
import io.berth.agent.logs.ServiceLogs.LogLimits;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code berth agent}: a worker agent dialling an orchestrator; configured by BERTH_* variables. */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = "Run a worker agent (for deployments; see deploy/): it dials the orchestrator, runs the "
                + "services it is told to, and publishes their events to Kafka. Namespace mode needs root "
                + "(CAP_SYS_ADMIN, CAP_NET_ADMIN). Every option defaults to its environment variable. On SIGTERM "
                + "it releases every service (SIGTERM, grace, SIGKILL) before it exits.")
final class AgentServeCommand implements Callable<Integer> {
    @Option(names = "--kafka", required = true, defaultValue = "${env:BERTH_KAFKA_BOOTSTRAP}",
            description = "Kafka bootstrap servers (BERTH_KAFKA_BOOTSTRAP).")
    String kafka;

    @Option(names = "--orchestrator", defaultValue = "${env:BERTH_ORCHESTRATOR:-127.0.0.1:7700}",
            description = "HOST:PORT of the orchestrator's gRPC gateway, or a comma-separated list of every "
                    + "orchestrator instance's (BERTH_ORCHESTRATOR, default ${DEFAULT-VALUE}).")
    String orchestrator;

    @Option(names = "--worker", defaultValue = "${env:BERTH_WORKER}",
            description = "This worker's name (BERTH_WORKER, default: the host name).")
    String worker;

    @Option(names = "--state-dir", defaultValue = "${env:BERTH_STATE_DIR:-/var/lib/berth}",
            description = "Scratch directories, logs and journal (BERTH_STATE_DIR, default ${DEFAULT-VALUE}).")
    Path stateDir;

    @Option(names = "--capacity", defaultValue = "${env:BERTH_CAPACITY:-32}",
            description = "Services this worker runs at most, 0 = unlimited (BERTH_CAPACITY, default ${DEFAULT-VALUE}).")
    int capacity;

    @Option(names = "--network-mode", defaultValue = "${env:BERTH_NETWORK_MODE:-namespace}",
            description = "namespace (one per task; needs root) or host (BERTH_NETWORK_MODE, default ${DEFAULT-VALUE}).")
    String networkMode;

    @Option(names = "--metrics-host", defaultValue = "${env:BERTH_METRICS_HOST:-127.0.0.1}",
            description = "Interface of the agent's /metrics, in the agent's own network (BERTH_METRICS_HOST, default ${DEFAULT-VALUE}).")
    String metricsHost;

    @Option(names = "--metrics-port", defaultValue = "${env:BERTH_METRICS_PORT:-9464}",
            description = "Port of the agent's /metrics, -1 for none (BERTH_METRICS_PORT, default ${DEFAULT-VALUE}).")
    int metricsPort;

    @Option(names = "--log-max-bytes", defaultValue = "${env:BERTH_LOG_MAX_BYTES:-10485760}",
            description = "Newest bytes of each service's log kept (BERTH_LOG_MAX_BYTES, default ${DEFAULT-VALUE}).")
    long logMaxBytes;

    @Option(names = "--log-retention-hours", defaultValue = "${env:BERTH_LOG_RETENTION_HOURS:-24}",
            description = "Logs of tasks gone for longer are deleted (BERTH_LOG_RETENTION_HOURS, default ${DEFAULT-VALUE}).")
    long logRetentionHours;

    @Mixin
    TlsOptions tls = new TlsOptions();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        String name = worker == null || worker.isBlank() ? InetAddress.getLocalHost().getHostName() : worker;
        java.util.List<LinkSettings.Address> orchestrators = new java.util.ArrayList<>();
        for (String one : orchestrator.split(",")) {
            if (one.trim().lastIndexOf(':') <= 0) {
                throw new IllegalArgumentException("--orchestrator must be HOST:PORT[,HOST:PORT…], not '"
                        + orchestrator + "'");
            }
            orchestrators.add(LinkSettings.Address.parse(one.trim()));
        }
        AgentSettings defaults = AgentSettings.defaults(name);
        AgentSettings settings = new AgentSettings(name, stateDir, defaults.defaultUser(), defaults.allowRoot(), networkMode,
                capacity);
        // no class-path file resolving (the agent serves no files): no vertx-cache-* directory that a crash would leave
        Vertx vertx = Vertx.vertx(new VertxOptions().setFileSystemOptions(
                new FileSystemOptions().setClassPathResolvingEnabled(false).setFileCachingEnabled(false)));
        WorkerAgent agent = new WorkerAgent(vertx, settings,
                LinkSettings.of(orchestrators).withTls(tls.files()), kafka)
                .withLogLimits(new LogLimits(logMaxBytes, LogLimits.DEFAULT.maxChunkBytes(),
                        Duration.ofHours(logRetentionHours)));
        if (metricsPort >= 0) {
            agent.withMetricsEndpoint(metricsHost, metricsPort);
        }
        agent.start().toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
        spec.commandLine().getOut().printf("berth agent %s: linked to %s, metrics on http://%s:%d/metrics%n", name,
                orchestrator, metricsHost, agent.metricsPort());
        spec.commandLine().getOut().flush();
        var stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                // two waits, not compose(): a callback chained on the closing Vert.x would never run
                agent.stop().toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                System.err.println("berth agent: stopping: " + e.getMessage());
            }
            stopped.countDown();
        }, "berth-shutdown"));
        stopped.await();
        return ExitCodes.OK;
    }
}
