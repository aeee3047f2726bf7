package io.berth.loadtest.peer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a command to completion, timed, with its output kept for error messages. */
final class Commands {
    record Result(int exitCode, String output, long nanos) {
        boolean ok() {
            return exitCode == 0;
        }

        String lastLines() {
            String[] lines = output.strip().split("\n");
            return String.join(" | ", List.of(lines).subList(Math.max(0, lines.length - 3), lines.length));
        }
    }

    private final Map<String, String> env;

    Commands(Map<String, String> env) {
        this.env = env;
    }

    Result run(List<String> argv, long timeoutSeconds) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        pb.environment().putAll(env);
        long t0 = System.nanoTime();
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", argv) + " did not finish within " + timeoutSeconds + " s");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), System.nanoTime() - t0);
    }

    /** Runs and fails with the command's last output lines when it exits non-zero. */
    Result check(List<String> argv, long timeoutSeconds) throws IOException, InterruptedException {
        Result r = run(argv, timeoutSeconds);
        if (!r.ok()) {
            throw new IOException(String.join(" ", argv) + " exited with " + r.exitCode() + ": " + r.lastLines());
        }
        return r;
    }

    static boolean onPath(String program) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : path.split(":")) {
            if (new java.io.File(dir, program).canExecute()) {
                return true;
            }
        }
        return false;
    }
}
