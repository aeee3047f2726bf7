package io.berth.cli;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Prometheus's own tools (Debian's {@code prometheus} package; bin/test installs it). */
final class Promtool {
    private Promtool() {}

    static boolean installed(String tool) {
        return Files.isExecutable(Path.of("/usr/bin", tool)) || Files.isExecutable(Path.of("/usr/local/bin", tool));
    }

    static void assumeInstalled(String tool) {
        assumeTrue(installed(tool), tool + " is not installed: apt-get install prometheus (bin/test does)");
    }

    /** {@code promtool check metrics} on an exposition: exit 0 when it has nothing to say. */
    static Processes.Result checkMetrics(String exposition) throws IOException, InterruptedException {
        assumeInstalled("promtool");
        Process p = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(exposition.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("promtool timed out");
        }
        return new Processes.Result(p.exitValue(), out);
    }
}
