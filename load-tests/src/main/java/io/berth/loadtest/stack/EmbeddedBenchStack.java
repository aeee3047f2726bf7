package io.berth.loadtest.stack;

import io.berth.agent.os.FileTrees;
import io.berth.cli.EmbeddedStack;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * The stack {@code berth run} starts ({@link EmbeddedStack}), with two differences that matter for a
 * benchmark: the agent keeps its state (and the services' logs) in a temporary directory removed on
 * close, and it has no capacity limit, because the generator decides how many tasks are alive at once. A run
 * stopped by SIGTERM or Ctrl-C closes it too: its tasks' network namespaces and cgroups, and the temporary state
 * directory no later agent would look in, would otherwise stay on the machine.
 */
public final class EmbeddedBenchStack implements BenchStack {
    public static final String WORKER = "bench";

    private final EmbeddedStack stack;
    private final Path stateDir;
    private final long startupMillis;
    private final Thread onSignal = new Thread(this::closeOnce, "load-test-stop");
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private EmbeddedBenchStack(EmbeddedStack stack, Path stateDir, long startupMillis) {
        this.stack = stack;
        this.stateDir = stateDir;
        this.startupMillis = startupMillis;
        Runtime.getRuntime().addShutdownHook(onSignal);
    }

    public static EmbeddedBenchStack start() {
        long t0 = System.nanoTime();
        Path stateDir;
        try {
            // where a deployed agent's is (/var/lib/berth): under /tmp, services would keep the host's /tmp
            Path parent = io.berth.agent.os.Users.agentIsRoot()
                    ? Files.createDirectories(Path.of("/var/lib/berth-bench")) : Path.of(System.getProperty("java.io.tmpdir"));
            stateDir = Files.createTempDirectory(parent, "berth-bench-agent-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        EmbeddedStack stack = EmbeddedStack.start(new EmbeddedStack.Options(0, 0, null, WORKER), null,
                agent -> agent.withStateDir(stateDir).withCapacity(0)
                        .withSandbox(agent.sandbox().withHostNetwork(true)));
        return new EmbeddedBenchStack(stack, stateDir, (System.nanoTime() - t0) / 1_000_000);
    }

    @Override
    public String bootstrapServers() {
        return stack.bootstrapServers();
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
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(onSignal);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs, or has
        }
        closeOnce();
    }

    private void closeOnce() {
        if (closed.getAndSet(true)) {
            return;
        }
        try {
            stack.close();
        } finally {
            try {
                FileTrees.delete(stateDir);
            } catch (IOException e) {
                System.err.println("load-test: could not remove " + stateDir + ": " + e.getMessage());
            }
        }
    }
}
