package io.berth.loadtest.scale;

import io.berth.events.TlsFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One orchestrator instance in a process of its own ({@code berth orchestrator}, as deployed), so that its heap,
 * RSS and CPU are its own and it can be SIGKILLed. Its output goes to a log file; its gRPC and admin ports are read
 * from the line it prints once it is up.
 */
public final class OrchestratorProcess implements AutoCloseable {
    private static final Pattern UP = Pattern.compile("berth orchestrator: gRPC [^:]+:(\\d+), admin API and metrics on "
            + "http://[^:]+:(\\d+)");
    private static final Pattern ADMIN = Pattern.compile("admin API on http://[^:]+:(\\d+)");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /**
     * @param javaOptions         extra JVM options (e.g. a flight recording)
     * @param sessionTimeoutMillis the consumer group's session timeout: how long a killed instance holds its partitions
     * @param apiToken            the admin API's token for mutating calls (drain)
     */
    public record Settings(String bootstrapServers, TlsFiles tls, int partitions, long sessionTimeoutMillis,
                           List<String> javaOptions, String apiToken) {}

    private final String name;
    private final Process process;
    private final Path log;
    private final int grpcPort;
    private final int httpPort;

    private OrchestratorProcess(String name, Process process, Path log, int grpcPort, int httpPort) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.grpcPort = grpcPort;
        this.httpPort = httpPort;
    }

    /**
     * Starts instance {@code name} with its agent gateway on {@code grpcPort} (fixed, so agents that dial it find a
     * replacement on the same address) and waits until it serves (at most {@code timeout}).
     */
    public static OrchestratorProcess start(String name, int grpcPort, Settings settings, Path logDir,
                                            Duration timeout) {
        OrchestratorProcess p = spawn(name, grpcPort, settings, logDir, timeout);
        p.awaitServing(timeout);
        return p;
    }

    /**
     * Starts instance {@code name} and returns once its admin API answers, its first one: before it restored its
     * first partitions' tasks and let agents in ({@link #awaitServing}), so a restore can be watched as it goes.
     */
    public static OrchestratorProcess spawn(String name, int grpcPort, Settings settings, Path logDir,
                                            Duration timeout) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(settings.javaOptions());
        command.add("-Dlog4j2.configurationFile=log4j2-load-test.xml");
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.berth.cli.Main", "orchestrator",
                "--kafka", settings.bootstrapServers(), "--grpc-host", "127.0.0.1", "--grpc-port", Integer.toString(grpcPort),
                "--http-host", "127.0.0.1", "--http-port", "0", "--instance", name,
                "--partitions", Integer.toString(settings.partitions()),
                "--group-session-timeout", Long.toString(settings.sessionTimeoutMillis()),
                "--tls-ca", settings.tls().ca().toString(), "--tls-cert", settings.tls().cert().toString(),
                "--tls-key", settings.tls().key().toString(), "--api-token", settings.apiToken()));
        Path log = logDir.resolve(name + ".log");
        Process process;
        try {
            Files.createDirectories(logDir);
            process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start orchestrator " + name, e);
        }
        Matcher admin = awaitLine(name, process, log, ADMIN, timeout);
        return new OrchestratorProcess(name, process, log, grpcPort, Integer.parseInt(admin.group(1)));
    }

    /** Waits until the instance serves: its first partitions restored, its agent gateway listening. */
    public void awaitServing(Duration timeout) {
        awaitLine(name, process, log, UP, timeout);
    }

    private static Matcher awaitLine(String name, Process process, Path log, Pattern line, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (System.nanoTime() < deadline) {
                Matcher m = line.matcher(Files.readString(log));
                if (m.find()) {
                    return m;
                }
                if (!process.isAlive()) {
                    throw new IllegalStateException("orchestrator " + name + " exited with " + process.exitValue()
                            + "; its log: " + log);
                }
                TimeUnit.MILLISECONDS.sleep(50);
            }
        } catch (IOException e) {
            process.destroyForcibly();
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (RuntimeException e) {
            process.destroyForcibly();
            throw e;
        }
        process.destroyForcibly();
        throw new IllegalStateException("orchestrator " + name + " did not come up within " + timeout.toSeconds()
                + " s; its log: " + log);
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public int grpcPort() {
        return grpcPort;
    }

    public int httpPort() {
        return httpPort;
    }

    public Path log() {
        return log;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL: no shutdown hook, no partition handover; the group notices after its session timeout. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The {@code /metrics} text (Prometheus format). */
    public String metrics() {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                    + "/metrics")).timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("GET /metrics of " + name + " answered " + r.statusCode());
            }
            return r.body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Stops (or resumes) placing new tasks on {@code worker}, through the admin API. */
    public void drain(String worker, boolean draining, String apiToken) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                            + "/api/v1/workers/" + worker + "/drain")).timeout(Duration.ofSeconds(10))
                    .header("Authorization", "Bearer " + apiToken).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"draining\": " + draining + "}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() / 100 != 2) {
                throw new IllegalStateException("draining " + worker + " on " + name + " answered " + r.statusCode()
                        + ": " + r.body());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** A gauge or counter without labels from {@code /metrics}, or NaN when absent. */
    public static double metric(String metrics, String name) {
        double sum = Double.NaN;
        for (String line : metrics.split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                double v = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                sum = Double.isNaN(sum) ? v : sum + v;
            }
        }
        return sum;
    }

    /** Tasks this instance holds now ({@code berth_tasks_active}). */
    public int activeTasks() {
        return (int) metric(metrics(), "berth_tasks_active");
    }

    /**
     * The bytes of the live objects: the total of {@code jcmd GC.class_histogram}, which a full collection precedes.
     * Not the heap pools' use after {@code GC.run}: what the process allocated between that collection and the
     * scrape of its metrics (a thousand agents' heartbeats, the scrape itself) counted too, and made the same 10,000
     * tasks cost 20 to 32 MB from one run to the next.
     */
    public long heapAfterGc() {
        return heapAfterGc(null);
    }

    /** {@link #heapAfterGc()}, keeping the histogram it reads in {@code histogramFile} (null: not kept). */
    public long heapAfterGc(Path histogramFile) {
        try {
            Path histogram = histogramFile != null ? histogramFile : Files.createTempFile("berth-heap-histogram", ".txt");
            try {
                jcmd(ProcessBuilder.Redirect.to(histogram.toFile()), "GC.class_histogram");
                for (String line : Files.readAllLines(histogram)) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length == 3 && f[0].equals("Total")) {
                        return Long.parseLong(f[2]);
                    }
                }
                throw new IllegalStateException("no total in the heap histogram of " + name);
            } finally {
                if (histogramFile == null) {
                    Files.deleteIfExists(histogram);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes the process's heap histogram of live objects ({@code jcmd GC.class_histogram}, a full GC first). */
    public void classHistogram(Path file) {
        jcmd(ProcessBuilder.Redirect.to(file.toFile()), "GC.class_histogram");
    }

    /** Writes a heap dump of the live objects ({@code jcmd GC.heap_dump}) to {@code file}. */
    public void heapDump(Path file) {
        jcmd("GC.heap_dump", file.toAbsolutePath().toString());
    }

    /** Starts a flight recording ({@code profile} settings) in the running process. */
    public void startFlightRecording() {
        jcmd("JFR.start", "name=scale", "settings=profile");
    }

    /** Writes the recording {@link #startFlightRecording} started to {@code file} and stops it. */
    public void dumpFlightRecording(Path file) {
        jcmd("JFR.stop", "name=scale", "filename=" + file.toAbsolutePath());
    }

    private void jcmd(String... args) {
        jcmd(ProcessBuilder.Redirect.DISCARD, args);
    }

    private void jcmd(ProcessBuilder.Redirect output, String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd")
                .toString(), Long.toString(pid())));
        command.addAll(List.of(args));
        try {
            Process jcmd = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(output).start();
            if (!jcmd.waitFor(120, TimeUnit.SECONDS)) {
                jcmd.destroyForcibly();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run jcmd", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Resident set size, bytes ({@code VmRSS}). */
    public long rss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException e) {
            // gone
        }
        return -1;
    }

    /** CPU time (user + system) the process used so far, in ms. */
    public double cpuMillis() {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid()), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10.0; // utime, stime in USER_HZ (100)
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** SIGTERM, then SIGKILL if it has not stopped within 30 s. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
