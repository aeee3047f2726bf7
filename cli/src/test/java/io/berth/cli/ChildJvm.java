package io.berth.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A {@code berth} command ({@code io.berth.cli.Main ...}) in a JVM of its own, on the test's class path, so a test can
 * SIGKILL it (no shutdown hook, no goodbye) and start it again with the same settings. Its output, over every start,
 * is appended to one log file; {@link #started(String)} counts the lines a command prints once it is up.
 */
final class ChildJvm implements AutoCloseable {
    private final String name;
    private final List<String> command;
    private final Map<String, String> env;
    private final Path log;
    private Process process;
    private int starts;
    /** Where the current start's output begins in the log. */
    private long offset;

    /**
     * The test's class path, with Berth's own module jars copied to {@code dir} first. A child reads its classes
     * lazily, over minutes and restarts; a build of the same tree meanwhile (installing a module's jar anew) must not
     * change them under it.
     */
    static String snapshotClassPath(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<String> entries = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Path.of(entry);
            if (entry.endsWith(".jar") && entry.contains("/io/berth/") && Files.isRegularFile(p)) {
                Path copy = dir.resolve(p.getFileName());
                Files.copy(p, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                entries.add(copy.toString());
            } else {
                entries.add(entry);
            }
        }
        return String.join(java.io.File.pathSeparator, entries);
    }

    /**
     * @param classPath see {@link #snapshotClassPath}
     * @param args      arguments after {@code io.berth.cli.Main}
     * @param env       BERTH_* variables (the test's own BERTH_* are not passed on)
     */
    ChildJvm(String name, Path log, String classPath, List<String> args, Map<String, String> env) {
        this.name = name;
        this.log = log;
        this.env = Map.copyOf(env);
        command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // start-up time is what counts here, on two cores shared with the broker and the other JVMs
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m",
                "-cp", classPath, "io.berth.cli.Main"));
        command.addAll(args);
    }

    synchronized ChildJvm start() throws IOException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " runs already (pid " + process.pid() + ")");
        }
        Files.writeString(log, "==== " + name + " start " + (starts + 1) + " at " + System.currentTimeMillis()
                + " ====\n", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
        offset = Files.size(log);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().keySet().removeIf(k -> k.startsWith("BERTH_"));
        pb.environment().putAll(env);
        process = pb.start();
        starts++;
        return this;
    }

    /** SIGKILL, and waits until the process is gone (its sockets closed, its file locks released). */
    synchronized void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException(name + " (pid " + process.pid() + ") survived SIGKILL");
            }
        }
    }

    /** SIGTERM (the command's graceful stop), then SIGKILL if it is not gone within {@code seconds}. */
    synchronized void stop(long seconds) throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }

    synchronized boolean alive() {
        return process != null && process.isAlive();
    }

    synchronized long pid() {
        return process == null ? -1 : process.pid();
    }

    /** How many times it was started. */
    synchronized int starts() {
        return starts;
    }

    /** True once the current start printed a line containing {@code marker}. */
    boolean started(String marker) throws IOException {
        long from;
        synchronized (this) {
            if (!alive()) {
                return false;
            }
            from = offset;
        }
        try (var in = Files.newInputStream(log)) {
            in.skipNBytes(from);
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1).contains(marker);
        }
    }

    /** Lines of the log (over every start) that contain {@code text}. */
    long count(String text) throws IOException {
        try (var lines = Files.lines(log, StandardCharsets.ISO_8859_1)) {
            return lines.filter(l -> l.contains(text)).count();
        }
    }

    /** Lines of the log (over every start) that contain {@code text}, each after the name of the process. */
    List<String> grep(String text) throws IOException {
        try (var lines = Files.lines(log, StandardCharsets.ISO_8859_1)) {
            return lines.filter(l -> l.contains(text))
                    .map(l -> name + ": " + (l.length() > 400 ? l.substring(0, 400) + "…" : l)).toList();
        }
    }

    /** The last {@code lines} lines of the log, under a header naming the process. */
    String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.ISO_8859_1);
            return "---- last " + Math.min(lines, all.size()) + " lines of " + log + " ----\n"
                    + String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "---- " + log + ": " + e.getMessage();
        }
    }

    String name() {
        return name;
    }

    /** One of the variables it was started with. */
    String env(String key) {
        return env.get(key);
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
