package io.berth.loadtest;

import io.berth.loadtest.generator.BenchService;
import io.berth.loadtest.generator.LoadGenerator;
import io.berth.loadtest.generator.Workload;
import io.berth.loadtest.measure.Baseline;
import io.berth.loadtest.measure.BrokerTraffic;
import io.berth.loadtest.measure.CpuUse;
import io.berth.loadtest.measure.JitCpu;
import io.berth.loadtest.measure.Latency;
import io.berth.loadtest.measure.ServiceStamps;
import io.berth.loadtest.measure.StepFigures;
import io.berth.loadtest.peer.PeerComparison;
import io.berth.loadtest.peer.PeerReport;
import io.berth.loadtest.report.Report;
import io.berth.loadtest.report.ReportFiles;
import io.berth.loadtest.report.Table;
import io.berth.loadtest.report.Targets;
import io.berth.loadtest.stack.BenchStack;
import io.berth.loadtest.stack.EmbeddedBenchStack;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The benchmark: a sweep of arrival rates against Berth, a peer comparison, a report. */
@Command(name = "load-test", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Drives Berth as a CI platform under load (open model: task.started at a constant arrival rate, "
                + "whatever Berth answers), once per rate, and writes report.json, latency-vs-load.svg and "
                + "summary.md under --out/<timestamp>/ and --out/latest/.",
            "Without --bootstrap, Kafka, the orchestrator and an agent run in this JVM (as root, each task gets "
                + "its own network namespace)."})
public final class LoadTest implements Callable<Integer> {
    @Option(names = "--rates", split = ",", paramLabel = "TASKS_PER_S", defaultValue = "10,25,50,100",
            description = "Offered loads to sweep, tasks/s (default ${DEFAULT-VALUE}).")
    List<Double> rates;

    @Option(names = "--step-seconds", defaultValue = "20", description = "Duration of each rate (default ${DEFAULT-VALUE}).")
    double stepSeconds;

    @Option(names = "--warmup-rate", defaultValue = "50", description = "Warm-up rate, not reported in the table; its "
            + "first step runs at no more than " + WARMUP_FIRST_RATE + " tasks/s (a cold JVM) (default ${DEFAULT-VALUE}).")
    double warmupRate;

    @Option(names = "--warmup-seconds", defaultValue = "300", description = "Longest warm-up: it runs in steps of "
            + WARMUP_CHUNK_SECONDS + " s until the JIT compiles less than " + JIT_QUIET_MS_PER_TASK + " ms of CPU a "
            + "task (the hot paths compiled, so CPU per task is the steady state of a long-running agent and "
            + "orchestrator); 0 skips it (default ${DEFAULT-VALUE}).")
    double warmupSeconds;

    /** CPU the JIT compiled in the warm-up, set by {@link #warmUp}; -1 without one. */
    private double warmupJitSeconds = -1;

    @Option(names = "--services", defaultValue = "2", description = "Services per task (default ${DEFAULT-VALUE}).")
    int services;

    @Option(names = "--service", defaultValue = "busybox",
            description = "Service each task asks for: busybox (a static httpd: listens at once, starts in well "
                    + "under 1 ms of CPU), listener (perl, listens at once, ~19 ms of CPU to start) or redis "
                    + "(default ${DEFAULT-VALUE}).")
    String service;

    @Option(names = "--hold-ms", defaultValue = "1000",
            description = "How long a task runs once its services are ready (default ${DEFAULT-VALUE}).")
    long holdMillis;

    @Option(names = "--network", description = "Network mode to request: namespace, host (host gives every task "
            + "its own ports). Default: the worker's default (namespace as root).")
    String network;

    @Option(names = "--bootstrap", paramLabel = "HOST:PORT",
            description = "Kafka of a deployed Berth; the generator then only produces and consumes.")
    String bootstrap;

    @Option(names = "--out", defaultValue = "load-tests/reports", description = "Report directory (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--peer", description = "Also run the podman-compose peer comparison (needs podman, "
            + "podman-compose, runc and the local redis image: load-tests/run prepares them).")
    boolean peer;

    @Option(names = "--peer-runs", defaultValue = "5", description = "Runs of each peer (default ${DEFAULT-VALUE}).")
    int peerRuns;

    @Option(names = "--peer-cli-runs", defaultValue = "2",
            description = "Runs of the whole `berth run` command, cold (default ${DEFAULT-VALUE}; needs the CLI built).")
    int peerCliRuns;

    @Option(names = "--containers-conf", defaultValue = "load-tests/target/peer/containers.conf",
            description = "podman settings for the peer (default ${DEFAULT-VALUE}).")
    Path containersConf;

    @Option(names = "--peer-image", defaultValue = "localhost/berth-bench/redis:7", description = "Redis image for the peer.")
    String peerImage;

    @Option(names = "--root", defaultValue = ".", description = "Repository root (default: the working directory).")
    Path root;

    @Option(names = "--baseline-runs", defaultValue = "20",
            description = "Direct launches of the listener, to know its own start time (default ${DEFAULT-VALUE}).")
    int baselineRuns;

    @Option(names = "--ready-timeout-s", defaultValue = "30", description = "A task not ready by then is an error.")
    long readyTimeoutSeconds;

    @Option(names = "--release-timeout-s", defaultValue = "30", description = "A task not released by then is an error.")
    long releaseTimeoutSeconds;

    private final PrintWriter err = new PrintWriter(System.err, true);

    public static void main(String[] args) {
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", "log4j2-load-test.xml");
        }
        System.exit(new CommandLine(new LoadTest()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        BenchService kind = BenchService.valueOf(service.toUpperCase(Locale.ROOT));
        String loadBefore = loadAverage();
        double otherBusy = Machine.otherCpuBusyPercent();
        say("machine: %d cores, load average %s, %.0f%% of the CPU busy with other work",
                Runtime.getRuntime().availableProcessors(), loadBefore, otherBusy);
        Latency.Summary baseline = null;
        if (kind == BenchService.LISTENER && baselineRuns > 0) {
            baseline = Baseline.listenerStart(baselineRuns);
            say("listener alone (no Berth): launch -> listening p50 %s ms, p99 %s ms", baseline.p50(), baseline.p99());
        }
        String networkMode = network;
        if (networkMode == null && bootstrap == null && !"root".equals(System.getProperty("user.name"))) {
            networkMode = "host"; // the agent cannot create namespaces; tasks then need ports of their own
        }
        var workload = new Workload(kind, services, Duration.ofMillis(holdMillis), networkMode,
                Duration.ofSeconds(readyTimeoutSeconds), Duration.ofSeconds(releaseTimeoutSeconds));
        StepFigures warmup = null;
        List<StepFigures> steps = new ArrayList<>();
        PeerReport peerReport = null;
        String stackDescription;
        try (BenchStack stack = bootstrap == null ? EmbeddedBenchStack.start() : BenchStack.remote(bootstrap)) {
            stackDescription = stack.description();
            say("stack: %s", stackDescription);
            try (var generator = new LoadGenerator(stack.bootstrapServers(), workload)) {
                if (warmupSeconds > 0) {
                    warmup = warmUp(generator, stack);
                }
                for (double rate : rates) {
                    steps.add(step(generator, stack, "r" + Targets.v(rate).replace('.', '_'), rate, stepSeconds));
                }
            }
            if (peer) {
                say("peer: redis through Berth, podman-compose and the container floor, %d runs each", peerRuns);
                peerReport = PeerComparison.run(new PeerComparison.Settings(root.toAbsolutePath().normalize(),
                        containersConf.toAbsolutePath(), peerImage, peerRuns, peerCliRuns), stack, this::say);
                if (peerReport.skipped() != null) {
                    say("peer: skipped: %s", peerReport.skipped());
                }
            }
        }
        var report = new Report(OffsetDateTime.now(ZoneOffset.UTC).withNano(0).toString(),
                new Report.Machine(Runtime.getRuntime().availableProcessors(), System.getProperty("os.name") + " "
                        + System.getProperty("os.version"), System.getProperty("java.vm.name") + " "
                        + System.getProperty("java.version"), loadBefore, loadAverage(), otherBusy),
                new Report.Parameters(List.copyOf(rates), stepSeconds, warmupRate, warmupSeconds, warmupJitSeconds,
                        services, kind.label(), holdMillis, networkMode, bootstrap,
                        String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments())),
                stackDescription, baseline, warmup, steps, Targets.check(steps, peerReport), peerReport, notes(kind),
                null);
        Path dir = ReportFiles.write(out, LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")), report);
        System.out.println(Table.markdown(report));
        say("report: %s (also %s)", dir.resolve(ReportFiles.JSON), out.resolve("latest"));
        say("plot:   %s", dir.resolve(ReportFiles.PLOT));
        return steps.stream().allMatch(s -> s.tasksWithErrors() == 0) ? 0 : 1;
    }

    /**
     * Runs the warm-up rate in short steps until the JIT is quiet or {@code --warmup-seconds} have passed. A task's
     * code runs once or twice a task, so C2 reaches it only after thousands of tasks (its thresholds are ~5,000
     * calls): at 20 tasks/s the warm-up ended on a quiet step before that, and C2 then compiled the agent's setup
     * code in the measured steps (2–5 ms a task, counted as Berth's CPU though a long-running agent pays it once).
     * At the warm-up's higher rate it gets there within the warm-up; what the JIT compiled in it is reported apart.
     */
    private StepFigures warmUp(LoadGenerator generator, BenchStack stack) {
        long started = System.nanoTime();
        double jitBefore = JitCpu.millis();
        StepFigures last = null;
        double seconds = 0;
        while (seconds < warmupSeconds) {
            double compiledBefore = JitCpu.millis();
            double chunk = Math.min(WARMUP_CHUNK_SECONDS, warmupSeconds - seconds);
            double rate = last == null ? Math.min(WARMUP_FIRST_RATE, warmupRate) : warmupRate;
            last = step(generator, stack, "warmup", rate, chunk);
            seconds = (System.nanoTime() - started) / 1e9;
            double jitPerTask = (JitCpu.millis() - compiledBefore) / Math.max(1, last.tasks());
            say("warmup: %.0f s so far, the JIT compiled %.2f ms of CPU a task in the last step", seconds, jitPerTask);
            if (rate == warmupRate && jitPerTask < JIT_QUIET_MS_PER_TASK) {
                break;
            }
        }
        warmupSeconds = Math.round(seconds);
        warmupJitSeconds = (JitCpu.millis() - jitBefore) / 1000;
        say("warmup: %.0f s, the JIT compiled %.1f s of CPU in it (once per JVM)", seconds, warmupJitSeconds);
        return last;
    }

    private static final int WARMUP_CHUNK_SECONDS = 15;
    private static final int WARMUP_FIRST_RATE = 20;
    private static final double JIT_QUIET_MS_PER_TASK = 0.5;

    private StepFigures step(LoadGenerator generator, BenchStack stack, String name, double rate, double seconds) {
        say("%s: %s tasks/s for %s s ...", name, Targets.v(rate), Targets.v(seconds));
        CpuUse.Mark cpu = CpuUse.mark();
        BrokerTraffic.Reading kafka = BrokerTraffic.read();
        var run = generator.run(new LoadGenerator.Step(name, rate, Duration.ofMillis(Math.round(seconds * 1000))));
        CpuUse used = CpuUse.since(cpu, run.tasks().size());
        BrokerTraffic traffic = BrokerTraffic.between(kafka, BrokerTraffic.read(), run.tasks().size());
        stack.agentStateDir().ifPresent(dir -> ServiceStamps.read(dir, run.tasks()));
        StepFigures f = StepFigures.of(run, services, used, traffic);
        say("%s: %d tasks, %.1f tasks/s achieved, %d with errors; overhead p50 %s / p99 %s ms; teardown p99 %s ms; "
                        + "%s ms of CPU per task (Berth %s, services %s)", name, f.tasks(), f.throughputTasksPerSecond(),
                f.tasksWithErrors(), Targets.v(f.orchestrationOverhead().p50()),
                Targets.v(f.orchestrationOverhead().p99()), Targets.v(f.teardown().p99()), Targets.v(used.perTaskMs()),
                Targets.v(used.berthPerTaskMs()), Targets.v(used.servicesPerTaskMs()));
        if (f.overloadedAfterSeconds() != null) {
            say("%s: Berth fell behind (more than 3 s of arrivals waiting): stopped publishing after %.1f s, "
                    + "%d tasks not sent", name, f.overloadedAfterSeconds(), f.unsent());
        }
        f.errorSamples().forEach(e -> say("  error: %s", e));
        return f;
    }

    private static List<String> notes(BenchService kind) {
        List<String> notes = new ArrayList<>(List.of(
                "Latencies are differences of CloudEvents 'time' stamps (microseconds) and of the agent's epoch-ms "
                        + "stamps in service.ready, all from one clock on one machine.",
                "orchestration_overhead includes the services' own launch -> listen time (the exec of the "
                        + "launcher berth-launch and of the service itself); overhead_net "
                        + "subtracts it for the service that became ready last, using the instant the listener "
                        + "logged; listener_baseline is the listener's own start with no Berth around it.",
                "Berth's own log is at WARN during the run (log4j2-load-test.xml), not INFO."));
        if (kind == BenchService.REDIS) {
            notes.add("redis shuts down on SIGTERM at its next cron tick (hz 10: up to 100 ms), which teardown includes.");
        }
        return notes;
    }

    private void say(String format, Object... args) {
        err.printf("load-test: " + format + "%n", args);
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (Exception e) {
            return "unknown";
        }
    }
}
