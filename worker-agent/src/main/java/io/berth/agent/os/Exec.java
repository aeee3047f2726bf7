package io.berth.agent.os;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs a short command to completion and captures its output (stdout and stderr merged, last
 * {@value #MAX_OUTPUT} bytes kept). Blocking: call it from a worker thread.
 */
public final class Exec {
    static final int MAX_OUTPUT = 4096;

    private Exec() {}

    /** What a finished command did. {@code timedOut} means it was killed at the timeout. */
    public record Result(int exitCode, String output, boolean timedOut, long elapsedNanos) {
        public boolean ok() {
            return exitCode == 0 && !timedOut;
        }

        /** The last non-blank line of the output, or "" — what a human wants to see in one line. */
        public String lastLine() {
            String[] lines = output.strip().split("\n");
            return lines.length == 0 ? "" : lines[lines.length - 1].strip();
        }

        /** Output on one line, trimmed to a readable length. */
        public String oneLine() {
            String s = output.strip().replaceAll("\\s*\\n\\s*", "; ");
            return s.length() > 300 ? s.substring(s.length() - 300) : s;
        }
    }

    /** Runs {@code argv} with the agent's environment. */
    public static Result run(List<String> argv, Duration timeout) throws IOException {
        return run(argv, null, null, timeout);
    }

    /**
     * Runs {@code argv}, killed at {@code timeout}.
     *
     * @param env null = inherit the agent's environment, else exactly this environment
     * @param dir null = the agent's working directory
     */
    public static Result run(List<String> argv, Map<String, String> env, File dir, Duration timeout)
            throws IOException {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        if (env != null) {
            pb.environment().clear();
            pb.environment().putAll(env);
        }
        if (dir != null) {
            pb.directory(dir);
        }
        return run(pb, timeout);
    }

    private static Result run(ProcessBuilder pb, Duration timeout) throws IOException {
        long t0 = System.nanoTime();
        Process process = pb.start();
        // The watchdog kills at the timeout; reading then sees end-of-stream, so this thread never hangs.
        CompletableFuture<Boolean> watchdog = new CompletableFuture<>();
        CompletableFuture.delayedExecutor(timeout.toNanos(), TimeUnit.NANOSECONDS).execute(() -> {
            if (!watchdog.isDone() && process.isAlive()) {
                watchdog.complete(true);
                process.destroyForcibly();
            }
        });
        String output;
        try (InputStream in = process.getInputStream()) {
            output = readTail(in);
        }
        int code;
        try {
            code = process.waitFor();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + process.info().command().orElse("a command"), e);
        }
        boolean timedOut = !watchdog.complete(false) && watchdog.join();
        return new Result(code, output, timedOut, System.nanoTime() - t0);
    }

    private static String readTail(InputStream in) throws IOException {
        ByteArrayOutputStream kept = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        int n;
        while ((n = in.read(buf)) >= 0) {
            kept.write(buf, 0, n);
            if (kept.size() > 2 * MAX_OUTPUT) {
                byte[] all = kept.toByteArray();
                kept.reset();
                kept.write(all, all.length - MAX_OUTPUT, MAX_OUTPUT);
            }
        }
        byte[] all = kept.toByteArray();
        int from = Math.max(0, all.length - MAX_OUTPUT);
        return new String(all, from, all.length - from, StandardCharsets.UTF_8);
    }
}
