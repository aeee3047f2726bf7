package io.berth.loadtest.measure;

import io.berth.loadtest.generator.BenchService;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * The listener's own start with nothing of Berth around it: spawned directly by this JVM (no
 * namespace, no setsid/setpriv wrappers, no Kafka), launch → listening from its log line. What is
 * left of Berth's "service start" after subtracting this is the cost of confining the service.
 */
public final class Baseline {
    private Baseline() {}

    public static Latency.Summary listenerStart(int runs) throws IOException, InterruptedException {
        Latency latency = new Latency();
        Path log = Files.createTempFile("berth-bench-baseline-", ".log");
        try {
            for (int i = 0; i < runs; i++) {
                Files.writeString(log, "");
                List<String> argv = List.of("/usr/bin/perl", "-e", BenchService.LISTENER_SCRIPT, Integer.toString(17_001));
                ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
                long launched = Events.micros(java.time.Instant.now());
                Process p = pb.start();
                try {
                    OptionalLong stamp = OptionalLong.empty();
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    while (stamp.isEmpty() && p.isAlive() && System.nanoTime() < deadline) {
                        Thread.sleep(2);
                        stamp = BenchService.listenStamp(Files.readString(log, StandardCharsets.UTF_8));
                    }
                    if (stamp.isPresent()) {
                        latency.record(stamp.getAsLong() - launched);
                    }
                } finally {
                    p.destroy();
                    p.waitFor(5, TimeUnit.SECONDS);
                }
            }
        } finally {
            Files.deleteIfExists(log);
        }
        return latency.summary();
    }
}
