package io.berth.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** The all-in-one stack, long-running. */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Run the all-in-one stack: embedded Kafka, the orchestrator and one worker agent. "
                + "Prints the Kafka bootstrap address and the endpoints; Ctrl-C or SIGTERM stops it "
                + "gracefully, releasing every service.")
final class UpCommand implements Callable<Integer> {
    @Option(names = "--kafka-port", defaultValue = "0", description = "Kafka listener port (0: any free port).")
    int kafkaPort;

    @Option(names = "--grpc-port", defaultValue = "0", description = "Orchestrator gRPC port (0: any free port).")
    int grpcPort;

    @Option(names = "--data-dir", description = "Keep Kafka's data here (default: a temporary directory).")
    Path dataDir;

    @Option(names = "--worker", defaultValue = "local", description = "Name of the local agent's worker (default ${DEFAULT-VALUE}).")
    String worker;

    @Option(names = "--http-port", defaultValue = "7780",
            description = "Admin API and orchestrator /metrics port on 127.0.0.1 (0: any free port; default ${DEFAULT-VALUE}).")
    int httpPort;

    @Option(names = "--metrics-port", defaultValue = "0",
            description = "The agent's /metrics port on 127.0.0.1 (0: any free port).")
    int metricsPort;

    @Option(names = "--api-token", defaultValue = "${env:BERTH_API_TOKEN}",
            description = "Bearer token the admin API's mutating calls need (default: $BERTH_API_TOKEN; none: read-only).")
    String apiToken;

    @Option(names = "--api-read-token", defaultValue = "${env:BERTH_API_READ_TOKEN}",
            description = "Bearer token the admin API's reads (tasks, workers, logs) need, or the API token "
                    + "(default: $BERTH_API_READ_TOKEN; none: reads are open to whoever reaches the port).")
    String apiReadToken;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        var options = new EmbeddedStack.Options(kafkaPort, grpcPort, dataDir, worker, httpPort, apiToken, metricsPort,
                apiReadToken);
        EmbeddedStack stack = EmbeddedStack.start(options, spec.commandLine().getErr());
        var stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stack.close();
            stopped.countDown();
        }, "berth-shutdown"));
        out.printf("berth up%n  kafka bootstrap: %s%n  orchestrator gRPC: 127.0.0.1:%d (mutual TLS; CA in %s: "
                        + "berth certs --dir %s --agent NAME issues another agent's certificate)%n  worker: %s%n"
                        + "  admin API: %s/api/v1 (OpenAPI: %s/openapi.yaml; %s)%n"
                        + "  orchestrator metrics: %s/metrics%n  agent metrics: http://127.0.0.1:%d/metrics%n"
                        + "Ctrl-C to stop.%n", stack.bootstrapServers(), stack.grpcPort(),
                stack.certificateAuthority().dir(), stack.certificateAuthority().dir(), worker,
                stack.apiUrl(), stack.apiUrl(), apiToken == null || apiToken.isEmpty()
                        ? "read-only: no --api-token" : "mutating calls need the token",
                stack.apiUrl(), stack.agentMetricsPort());
        out.flush();
        stopped.await();
        return ExitCodes.OK;
    }
}
