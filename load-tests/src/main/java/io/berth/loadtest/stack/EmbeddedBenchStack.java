package io.berth.loadtest.stack;

import io.berth.agent.WorkerAgent;
import io.berth.agent.link.LinkSettings;
import io.berth.agent.supervisor.AgentSettings;
import io.berth.kafka.embedded.EmbeddedKafka;
import io.berth.orchestrator.Orchestrator;
import io.berth.orchestrator.OrchestratorSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Kafka (embedded KRaft), the orchestrator and one worker agent in this JVM — what {@code berth run}
 * starts, with two differences that matter for a benchmark: the agent keeps its state (and the
 * services' logs) in a temporary directory removed on close, and it has no capacity limit, because
 * the generator decides how many tasks are alive at once.
 */
public final class EmbeddedBenchStack implements BenchStack {
    public static final String WORKER = "bench";

    private final EmbeddedKafka kafka;
    private final Vertx vertx;
    private final Orchestrator orchestrator;
    private final WorkerAgent agent;
    private final Path stateDir;
    private final long startupMillis;
    private boolean closed;

    private EmbeddedBenchStack(EmbeddedKafka kafka, Vertx vertx, Orchestrator orchestrator, WorkerAgent agent,
                               Path stateDir, long startupMillis) {
        this.kafka = kafka;
        this.vertx = vertx;
        this.orchestrator = orchestrator;
        this.agent = agent;
        this.stateDir = stateDir;
        this.startupMillis = startupMillis;
    }

    public static EmbeddedBenchStack start() {
        long t0 = System.nanoTime();
        Path stateDir;
        try {
            stateDir = Files.createTempDirectory("berth-bench-agent-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        EmbeddedKafka kafka = EmbeddedKafka.start();
        Vertx vertx = Vertx.vertx();
        Orchestrator orchestrator = null;
        WorkerAgent agent = null;
        try {
            orchestrator = new Orchestrator(vertx, OrchestratorSettings.defaults(kafka.bootstrapServers())
                    .withGrpc("127.0.0.1", 0));
            await(orchestrator.start());
            agent = new WorkerAgent(vertx, AgentSettings.defaults(WORKER).withStateDir(stateDir).withCapacity(0),
                    LinkSettings.of("127.0.0.1", orchestrator.grpcPort()), kafka.bootstrapServers());
            await(agent.start());
        } catch (RuntimeException e) {
            new EmbeddedBenchStack(kafka, vertx, orchestrator, agent, stateDir, 0).close();
            throw e;
        }
        return new EmbeddedBenchStack(kafka, vertx, orchestrator, agent, stateDir,
                (System.nanoTime() - t0) / 1_000_000);
    }

    @Override
    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    @Override
    public Optional<Path> agentStateDir() {
        return Optional.of(stateDir);
    }

    @Override
    public String description() {
        return "embedded (Kafka, orchestrator and agent '" + WORKER + "' in the generator's JVM, up in "
                + startupMillis + " ms)";
    }

    /** Releases every service, stops the agent, the orchestrator and Kafka, then removes the agent's state. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (agent != null) {
                await(agent.stop());
            }
            if (orchestrator != null) {
                await(orchestrator.stop());
            }
        } finally {
            await(vertx.close());
            kafka.close();
            deleteTree(stateDir);
        }
    }

    private static void deleteTree(Path root) {
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            System.err.println("load-test: could not remove " + root + ": " + e.getMessage());
        }
    }

    private static <T> T await(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
