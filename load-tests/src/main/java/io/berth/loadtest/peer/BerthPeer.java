package io.berth.loadtest.peer;

import io.berth.loadtest.generator.LoadGenerator;
import io.berth.loadtest.generator.ServiceSource;
import io.berth.loadtest.generator.Workload;
import io.berth.loadtest.measure.TaskTrace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Redis for one task through Berth, as {@code berth run --service redis=examples/services/redis.yml}
 * does it (its config, its {@code redis-cli ping} startup probe), timed by the CI platform's clock:
 * {@code task.started} published → {@code task.services.ready} read, {@code task.ended} published →
 * {@code task.services.released} read.
 */
final class BerthPeer implements AutoCloseable {
    record BerthRun(double startToReadyMs, double teardownMs, String error) {}

    private final LoadGenerator generator;
    private int runs;

    BerthPeer(String bootstrapServers, Path redisConfig) {
        generator = new LoadGenerator(bootstrapServers, new Workload(ServiceSource.file("redis", redisConfig), 1,
                Duration.ZERO, null, Duration.ofSeconds(30), Duration.ofSeconds(30)));
    }

    BerthRun once() {
        var run = generator.run(new LoadGenerator.Step("peer" + runs++, 1, Duration.ofMillis(1)));
        TaskTrace t = run.tasks().get(0);
        if (!t.errors().isEmpty() || !t.isReady() || !t.isReleased()) {
            return new BerthRun(Double.NaN, Double.NaN, t.errors().isEmpty() ? "not ready or not released"
                    : String.join("; ", t.errors()));
        }
        return new BerthRun(ms(t.readyReceivedNanos() - t.sentNanos()), ms(t.releasedReceivedNanos() - t.endedNanos()),
                null);
    }

    /**
     * The whole {@code berth run} command, cold: a new JVM that starts embedded Kafka, the orchestrator
     * and an agent, runs {@code redis-cli ping} next to redis and stops everything. Run from the CLI's
     * build output, so nothing is rebuilt; null when the CLI is not built.
     */
    static Double cliOnce(Path root) throws IOException, InterruptedException {
        Path classes = root.resolve("cli/target/classes");
        Path lib = root.resolve("cli/target/lib");
        if (!Files.isDirectory(classes) || !Files.isDirectory(lib)) {
            return null;
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> argv = new ArrayList<>(List.of(java, "-cp", classes + ":" + lib + "/*", "io.berth.cli.Main",
                "run", "--quiet", "--service", "redis=" + root.resolve("examples/services/redis.yml"), "--",
                "redis-cli", "-h", "((.svc:redis.host))", "-p", "((.svc:redis.port))", "ping"));
        var r = new Commands(Map.of()).run(argv, 120);
        if (!r.ok() || !r.output().contains("PONG")) {
            throw new IOException("berth run exited with " + r.exitCode() + ": " + r.lastLines());
        }
        return ms(r.nanos());
    }

    private static double ms(long nanos) {
        return Math.round(nanos / 1e4) / 100.0;
    }

    @Override
    public void close() {
        generator.close();
    }
}
