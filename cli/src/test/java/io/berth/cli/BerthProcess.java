package io.berth.cli;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real {@code berth} process (its {@code Main}, on the test's class path) in a session and process group of its
 * own, as a terminal or a CI runner starts a job: signals go to the whole group ({@code kill -INT -PGID}), as Ctrl-C
 * and a runner's cancel send them. Its stdout and stderr go to one log file. Closing it SIGKILLs whatever of the
 * group is left and removes what its tasks left behind (a test that failed must not leak).
 */
final class BerthProcess implements AutoCloseable {
    private static final Pattern TASK = Pattern.compile("task (run-[0-9a-f-]+): starting");

    private final Process process;
    private final Path log;

    private BerthProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    static BerthProcess start(Path log, String classPath, List<String> args) throws IOException {
        return start(log, classPath, null, args);
    }

    /** @param tmp its temporary directory ({@code java.io.tmpdir}), or null for the default */
    static BerthProcess start(Path log, String classPath, Path tmp, List<String> args) throws IOException {
        // a test run started in the background (`bin/test &`) ignores SIGINT, and so would berth, whose Ctrl-C
        // handling these tests exercise: the signals it handles start at their defaults, as in a terminal
        List<String> command = new ArrayList<>(List.of("env", "--default-signal=INT,QUIT,TERM,HUP", "setsid",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m", "-cp", classPath));
        if (tmp != null) {
            command.add("-Djava.io.tmpdir=" + tmp);
        }
        command.add("io.berth.cli.Main");
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("BERTH_"));
        pb.environment().put("BERTH_PROTOTYPE_PATH", Path.of("examples/prototypes").toAbsolutePath().toString());
        Process process = pb.start();
        BerthProcess started = new BerthProcess(process, log);
        // setsid made the JVM a session and group leader (it was none, so setsid exec'd it without forking)
        await().atMost(Duration.ofSeconds(5)).until(() -> started.pgid() == process.pid());
        return started;
    }

    long pid() {
        return process.pid();
    }

    private long pgid() throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[2]);
    }

    String output() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** Waits until the output contains {@code text}. */
    BerthProcess awaitOutput(String text, Duration within) {
        await().atMost(within).pollInterval(Duration.ofMillis(50))
                .failFast("berth exited: " + output(), () -> !process.isAlive() && !output().contains(text))
                .until(() -> output().contains(text));
        return this;
    }

    /** The task id the run printed. */
    String taskId() {
        Matcher m = TASK.matcher(output());
        if (!m.find()) {
            throw new IllegalStateException("no task id in: " + output());
        }
        return m.group(1);
    }

    private static final Pattern SERVICE_PID = Pattern.compile("starting on \\S+ \\(pid (\\d+)\\)");

    /**
     * The services' processes the run reported starting, still alive (found by pid: a service such as redis rewrites
     * its process title over its environment, so it cannot be found by {@code BERTH_TASK_ID}).
     */
    List<Long> liveServicePids() {
        List<Long> live = new ArrayList<>();
        Matcher m = SERVICE_PID.matcher(output());
        while (m.find()) {
            long pid = Long.parseLong(m.group(1));
            if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && !zombie(pid)) {
                live.add(pid);
            }
        }
        return live;
    }

    private static boolean zombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) == 'Z';
        } catch (IOException e) {
            return true;
        }
    }

    /** Sends {@code signal} (INT, TERM, KILL, ...) to the whole process group. */
    void signalGroup(String signal) throws IOException, InterruptedException {
        Processes.run("kill", "-s", signal, "--", "-" + process.pid());
    }

    int awaitExit(Duration within) throws InterruptedException {
        if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("berth still runs after " + within + ":\n" + output());
        }
        return process.exitValue();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            signalGroup("KILL");
            process.waitFor(10, TimeUnit.SECONDS);
        }
        for (long pid : liveServicePids()) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        Matcher m = TASK.matcher(output());
        if (m.find()) {
            Orphans.remove(List.of(m.group(1)));
        }
    }
}
