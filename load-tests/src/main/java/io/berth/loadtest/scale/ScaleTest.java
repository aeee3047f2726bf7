package io.berth.loadtest.scale;

import io.berth.loadtest.Machine;
import io.berth.loadtest.fleet.SimulatedFleet;
import io.berth.loadtest.generator.BenchService;
import io.berth.loadtest.generator.LoadGenerator;
import io.berth.loadtest.generator.Workload;
import io.berth.loadtest.measure.CpuUse;
import io.berth.loadtest.measure.StepFigures;
import io.berth.loadtest.measure.TaskTrace;
import io.berth.loadtest.report.Report;
import io.berth.loadtest.report.ReportFiles;
import io.berth.loadtest.report.Table;
import io.berth.loadtest.report.Targets;
import java.io.IOException;
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
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The scale-out benchmark: orchestrator instances in processes of their own, driven by simulated agents. */
@Command(name = "scale-test", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Measures the orchestrator alone: Kafka and thousands of simulated agents (real gRPC with mutual TLS, "
                + "real service.* events, nothing run) in this JVM, K orchestrator instances as processes of their "
                + "own. Sweeps offered load until the instances fall behind, then measures memory and the state "
                + "topic per live task, the restore of live tasks after a SIGKILL, the stall of a rebalance, and "
                + "other partition counts. Writes report.json, latency-vs-load.svg and summary.md under "
                + "--out/<timestamp>/ and --out/latest/."})
public final class ScaleTest implements Callable<Integer> {
    @Option(names = "--simulated-agents", defaultValue = "1000", description = "Simulated workers (default ${DEFAULT-VALUE}).")
    int agents;

    @Option(names = "--orchestrators", defaultValue = "1", description = "Orchestrator instances (default ${DEFAULT-VALUE}).")
    int orchestrators;

    @Option(names = "--partitions", defaultValue = "12", description = "Partitions of Berth's topics (default ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--rates", split = ",", defaultValue = "250,500,1000,2000,3000",
            description = "Offered loads, tasks/s; the sweep stops after the first the instances do not sustain "
                    + "(default ${DEFAULT-VALUE}).")
    List<Double> rates;

    @Option(names = "--step-seconds", defaultValue = "15", description = "Duration of each rate (default ${DEFAULT-VALUE}).")
    double stepSeconds;

    @Option(names = "--warmup-rate", defaultValue = "200", description = "Warm-up rate (default ${DEFAULT-VALUE}).")
    double warmupRate;

    @Option(names = "--warmup-seconds", defaultValue = "10", description = "Warm-up duration, in rounds of 10 s; 0 skips it (default ${DEFAULT-VALUE}).")
    double warmupSeconds;

    @Option(names = "--services", defaultValue = "2", description = "Services per task (default ${DEFAULT-VALUE}).")
    int services;

    @Option(names = "--hold-ms", defaultValue = "1000", description = "How long a task runs once ready (default ${DEFAULT-VALUE}).")
    long holdMillis;

    @Option(names = "--ready-delay-ms", defaultValue = "0",
            description = "How long a simulated service takes to be ready (default ${DEFAULT-VALUE}: the overhead is "
                    + "then the orchestrator's path alone).")
    long readyDelayMillis;

    @Option(names = "--agent-capacity", defaultValue = "0", description = "Each simulated worker's capacity in "
            + "services; 0: unlimited (default ${DEFAULT-VALUE}).")
    int agentCapacity;

    @Option(names = "--heartbeat-ms", defaultValue = "2000", description = "Agents' heartbeat interval (default ${DEFAULT-VALUE}, the real agent's).")
    long heartbeatMillis;

    @Option(names = "--idle-seconds", defaultValue = "10", description = "After the warm-up, how long the instances "
            + "are watched with the agents linked and no task, for their CPU without tasks; 0 skips it "
            + "(default ${DEFAULT-VALUE}).")
    double idleSeconds;

    @Option(names = "--live-tasks", defaultValue = "10000", description = "Live tasks for the memory and restore "
            + "figures; 0 skips them (default ${DEFAULT-VALUE}).")
    int liveTasks;

    @Option(names = "--live-rate", defaultValue = "1000", description = "Rate the live tasks are started at (default ${DEFAULT-VALUE}).")
    double liveRate;

    @Option(names = "--session-timeout-ms", defaultValue = "6000", description = "The instances' consumer-group "
            + "session timeout (default ${DEFAULT-VALUE}, the broker's minimum).")
    long sessionTimeoutMillis;

    @Option(names = "--rebalance-rate", defaultValue = "500", description = "Rate of the step during which an "
            + "instance leaves and a new one joins (needs --orchestrators >= 2; 0 skips it; default ${DEFAULT-VALUE}).")
    double rebalanceRate;

    @Option(names = "--partition-sweep", split = ",", description = "Other partition counts to run the reference "
            + "rate at, each on a fresh stack (e.g. 3,48).")
    List<Integer> partitionSweep = new ArrayList<>();

    @Option(names = "--reference-rate", defaultValue = "1000", description = "The rate of the latency target and of "
            + "the partition sweep (default ${DEFAULT-VALUE}).")
    double referenceRate;

    @Option(names = "--jfr", description = "Record a flight recording of the first instance over the sweep (warm-up "
            + "included) into this directory.")
    Path jfrDir;

    @Option(names = "--heap-dump", description = "Also write each instance's heap dump (.hprof) with the live tasks "
            + "into the report's directory.")
    boolean heapDump;

    @Option(names = "--orchestrator-java-opts", defaultValue = "", description = "JVM options of the instances, "
            + "space separated.")
    String orchestratorJavaOptions;

    @Option(names = "--ca-dir", defaultValue = "load-tests/target/scale-ca", description = "The stack's certificate "
            + "authority and the simulated agents' certificates, kept for the next run (default ${DEFAULT-VALUE}).")
    Path caDir;

    @Option(names = "--out", defaultValue = "load-tests/reports/scale", description = "Report directory (default ${DEFAULT-VALUE}).")
    Path out;

    private final PrintWriter err = new PrintWriter(System.err, true);
    private final String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));

    public static void main(String[] args) {
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", "log4j2-scale-test.xml");
        }
        System.exit(new CommandLine(new ScaleTest()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        String loadBefore = loadAverage();
        double otherBusy = Machine.otherCpuBusyPercent();
        say("machine: %d cores, load average %s, %.0f%% of the CPU busy with other work",
                Runtime.getRuntime().availableProcessors(), loadBefore, otherBusy);
        var workload = new Workload(BenchService.BUSYBOX, services, Duration.ofMillis(holdMillis), null,
                Duration.ofSeconds(30), Duration.ofSeconds(30));
        Path logDir = out.resolve(stamp).resolve("logs");
        List<String> firstOptions = new ArrayList<>();
        if (jfrDir != null) {
            Files.createDirectories(jfrDir);
            // the recording's repository beside the report: a /tmp cleaner must not take it away mid-run
            Path repository = jfrDir.resolve("repository-" + stamp);
            Files.createDirectories(repository);
            firstOptions.add("-XX:FlightRecorderOptions=repository=" + repository.toAbsolutePath());
        }
        StepFigures warmup = null;
        List<StepFigures> steps = new ArrayList<>();
        List<Double> cpuPerTask = new ArrayList<>();
        List<Double> stateRecordsPerTask = new ArrayList<>();
        ScaleFigures.Live live = null;
        ScaleFigures.Restore restore = null;
        ScaleFigures.Rebalance rebalance = null;
        Profile profile = null;
        String stackDescription;
        long refusals;
        long t0 = System.nanoTime();
        try (ScaleStack stack = ScaleStack.start(new ScaleStack.Options(orchestrators, partitions,
                sessionTimeoutMillis, javaOptions(), firstOptions, workers(), readyDelayMillis, heartbeatMillis, logDir,
                caDir))) {
            stackDescription = describe(stack, (System.nanoTime() - t0) / 1_000_000);
            say("stack: %s", stackDescription);
            // live tasks first, on fresh instances: their heap is then theirs, not released tasks' still remembered
            if (liveTasks > 0) {
                try (var tasks = new LiveTasks(stack.bootstrapServers())) {
                    live = live(stack, tasks);
                    restore = restore(stack, tasks);
                    boolean released = tasks.endAll(Duration.ofMinutes(2));
                    long stateAfter = stack.stateTopicBytes();
                    live = new ScaleFigures.Live(live.tasks(), live.failed(), live.heapBeforeBytes(),
                            live.heapWithTasksBytes(), live.heapPer10kMb(), live.rssBeforeBytes(),
                            live.rssWithTasksBytes(), live.rssPer10kMb(), live.stateBytesPerTask(),
                            round1((stateAfter - stateBeforeLive) / (double) tasks.count()), tasks.released());
                    restore = new ScaleFigures.Restore(restore.liveTasks(), restore.killed(),
                            restore.sessionTimeoutMillis(), restore.restoreMillis(), restore.pastSessionTimeoutMillis(),
                            tasks.released(), (int) (tasks.count() - tasks.released()),
                            restore.replacementAnsweringMillis(), restore.replacementFirstTaskMillis());
                    say("live tasks ended: %d of %d released%s", tasks.released(), tasks.count(),
                            released ? "" : " (timed out; e.g. " + tasks.errorSamples() + ")");
                } catch (RuntimeException e) {
                    // an instance too busy to answer its admin API is a finding, not a reason to lose the run
                    say("live tasks: not measured to the end: %s", e);
                    notMeasured.add("live tasks and restore: " + e.getMessage());
                }
            }
            try (var generator = new LoadGenerator(stack.bootstrapServers(), workload)) {
                if (jfrDir != null) {
                    // the sweep alone: the live tasks' restore (a thousand TLS handshakes) is not the steady state
                    stack.instances().get(0).startFlightRecording();
                }
                if (warmupSeconds > 0) {
                    warmup = warmUp(generator, stack, "warmup");
                }
                if (idleSeconds > 0) {
                    idleCpu = idle(stack);
                }
                for (double rate : rates) {
                    StepFigures f = step(generator, stack, "r" + Targets.v(rate).replace('.', '_'), rate, stepSeconds,
                            cpuPerTask, stateRecordsPerTask);
                    steps.add(f);
                    if (!f.sustained()) {
                        say("the instances did not sustain %s tasks/s: the sweep stops here", Targets.v(rate));
                        break;
                    }
                }
                if (jfrDir != null) {
                    Path jfr = jfrDir.resolve("orchestrator-" + stamp + ".jfr");
                    stack.instances().get(0).dumpFlightRecording(jfr);
                    profile = Profile.read(jfr);
                    say("profile: %s (%d samples); hottest: %s; CPU by thread (%% of a core): %s", jfr,
                            profile.samples(), profile.self().stream().limit(5).toList(),
                            profile.threadCpu().stream().limit(6).toList());
                }
                if (rebalanceRate > 0 && orchestrators >= 2) {
                    rebalance = rebalance(generator, stack);
                }
            }
            refusals = stack.fleet().capacityRefusals();
            say("simulated agents: %d capacity refusals, %d link reconnects", refusals, stack.fleet().reconnects());
        }
        List<ScaleFigures.PartitionRun> sweep = new ArrayList<>();
        for (int p : partitionSweep) {
            sweep.add(partitionRun(p, workload));
        }
        Double maxSustained = steps.stream().filter(StepFigures::sustained)
                .map(StepFigures::offeredTasksPerSecond).max(Comparator.naturalOrder()).orElse(null);
        var scale = new ScaleFigures(agents, orchestrators, partitions, agentCapacity, readyDelayMillis, idleCpu,
                cpuPerTask, stateRecordsPerTask, maxSustained,
                live, restore, rebalance, sweep, refusals, profile);
        var report = new Report(OffsetDateTime.now(ZoneOffset.UTC).withNano(0).toString(),
                new Report.Machine(Runtime.getRuntime().availableProcessors(), System.getProperty("os.name") + " "
                        + System.getProperty("os.version"), System.getProperty("java.vm.name") + " "
                        + System.getProperty("java.version"), loadBefore, loadAverage(), otherBusy),
                new Report.Parameters(List.copyOf(rates), stepSeconds, warmupRate, warmupSeconds, -1, services,
                        "simulated (ready after " + readyDelayMillis + " ms)", holdMillis, null, null,
                        String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments())),
                stackDescription, null, warmup, steps, ScaleTargets.check(steps, scale, referenceRate), null,
                notes(notMeasured), scale);
        Path dir = ReportFiles.write(out, stamp, report);
        System.out.println(Table.markdown(report));
        say("report: %s (also %s)", dir.resolve(ReportFiles.JSON), out.resolve("latest"));
        say("plot:   %s", dir.resolve(ReportFiles.PLOT));
        return steps.stream().anyMatch(StepFigures::sustained) ? 0 : 1;
    }

    private List<SimulatedFleet.Worker> workers() {
        List<SimulatedFleet.Worker> workers = new ArrayList<>();
        for (int i = 0; i < agents; i++) {
            workers.add(new SimulatedFleet.Worker(String.format("sim-%05d", i), agentCapacity));
        }
        return workers;
    }

    private List<String> javaOptions() {
        return orchestratorJavaOptions.isBlank() ? List.of() : List.of(orchestratorJavaOptions.trim().split("\\s+"));
    }

    private String describe(ScaleStack stack, long upMillis) {
        return String.format("Kafka (embedded) and %d simulated agents in the generator's JVM; %d orchestrator "
                        + "instance(s) as processes of their own (%s); %d partitions; up in %d ms (%s)", agents,
                orchestrators, javaOptions().isEmpty() ? "default JVM options" : String.join(" ", javaOptions()),
                partitions, upMillis, stack.fleet().startTimes());
    }

    private StepFigures step(LoadGenerator generator, ScaleStack stack, String name, double rate, double seconds,
                             List<Double> cpuPerTask, List<Double> stateRecordsPerTask) {
        say("%s: %s tasks/s for %s s ...", name, Targets.v(rate), Targets.v(seconds));
        CpuUse.Mark cpu = CpuUse.mark();
        double orchestratorCpu = stack.cpuMillis();
        long stateRecords = stack.stateTopicRecords();
        var run = generator.run(new LoadGenerator.Step(name, rate, Duration.ofMillis(Math.round(seconds * 1000))));
        CpuUse used = CpuUse.since(cpu, run.tasks().size());
        double perTask = run.tasks().isEmpty() ? Double.NaN
                : round1((stack.cpuMillis() - orchestratorCpu) / run.tasks().size());
        // records of tasks still running when the step ends fall into the next step
        double statePerTask = run.tasks().isEmpty() ? Double.NaN
                : round1((stack.stateTopicRecords() - stateRecords) / (double) run.tasks().size());
        if (cpuPerTask != null) {
            cpuPerTask.add(perTask);
        }
        if (stateRecordsPerTask != null) {
            stateRecordsPerTask.add(statePerTask);
        }
        StepFigures f = StepFigures.of(run, services, used, null);
        say("%s: %d tasks, %.1f tasks/s achieved, %d with errors; overhead p50 %s / p99 %s ms; teardown p99 %s ms; "
                        + "orchestrator CPU %s ms per task, generator JVM (Kafka, agents) %s ms; %s state records "
                        + "per task", name, f.tasks(), f.throughputTasksPerSecond(), f.tasksWithErrors(),
                Targets.v(f.orchestrationOverhead().p50()), Targets.v(f.orchestrationOverhead().p99()),
                Targets.v(f.teardown().p99()), Targets.v(perTask), Targets.v(used.perTaskMs()),
                Targets.v(statePerTask));
        if (f.overloadedAfterSeconds() != null) {
            say("%s: fell behind (more than 3 s of arrivals waiting): stopped publishing after %.1f s, %d tasks not "
                    + "sent", name, f.overloadedAfterSeconds(), f.unsent());
        }
        f.errorSamples().forEach(e -> say("  error: %s", e));
        return f;
    }

    /**
     * The warm-up for {@code --warmup-seconds}, in rounds of at most 10 s: a freshly started instance's first tasks
     * take seconds (its JIT compiles), a step stops publishing once 3 s of arrivals wait, and one long step then
     * warmed it up with a few dozen tasks only; a round that falls behind ends, the next one starts.
     */
    private StepFigures warmUp(LoadGenerator generator, ScaleStack stack, String name) {
        long deadline = System.nanoTime() + Math.round(warmupSeconds * 1e9);
        StepFigures last;
        int round = 0;
        do {
            double left = (deadline - System.nanoTime()) / 1e9;
            last = step(generator, stack, name + (round++ == 0 ? "" : "-" + round), warmupRate,
                    Math.max(1, Math.min(10, left)), null, null);
        } while (System.nanoTime() < deadline - 500_000_000L);
        return last;
    }

    private long stateBeforeLive;
    private Double idleCpu;

    /** The instances' CPU per second with every agent linked (heartbeats, timers, gauges) and no task arriving. */
    private double idle(ScaleStack stack) throws InterruptedException {
        say("idle: %s s with %d agents linked and no task ...", Targets.v(idleSeconds), agents);
        double before = stack.cpuMillis();
        long t0 = System.nanoTime();
        // the window is the measurement itself (CPU over idle seconds): read again when it ends
        double after = at(t0 + Math.round(idleSeconds * 1e9), stack::cpuMillis);
        double perSecond = round1((after - before) / ((System.nanoTime() - t0) / 1e9));
        say("idle: the instances used %s ms of CPU per second", Targets.v(perSecond));
        return perSecond;
    }
    private final List<String> notMeasured = new ArrayList<>();

    private ScaleFigures.Live live(ScaleStack stack, LiveTasks tasks) {
        // the histograms before and with the tasks, beside the report: their difference names what a task holds
        Path histograms = createDirectories(out.resolve(stamp));
        long heapBefore = stack.alive().stream().mapToLong(p -> p.heapAfterGc(
                histograms.resolve("heap-histogram-" + p.name() + "-before.txt"))).sum();
        long rssBefore = stack.alive().stream().mapToLong(OrchestratorProcess::rss).sum();
        stateBeforeLive = stack.stateTopicBytes();
        say("live: starting %d tasks at %s/s (heap %d MB, RSS %d MB before)", liveTasks, Targets.v(liveRate),
                heapBefore >> 20, rssBefore >> 20);
        tasks.start(liveTasks, liveRate, BenchService.BUSYBOX, services);
        if (!tasks.awaitReady(Duration.ofMinutes(2))) {
            say("live: not every task was ready within 2 minutes");
        }
        long stateWith = stack.stateTopicBytes();
        long heapWith = stack.alive().stream().mapToLong(p -> p.heapAfterGc(
                histograms.resolve("heap-histogram-" + p.name() + ".txt"))).sum();
        long rssWith = stack.alive().stream().mapToLong(OrchestratorProcess::rss).sum();
        // the tasks the instances hold (ready or still being placed): those not read from Kafka yet cost nothing
        int n = Math.max(1, stack.activeTasks());
        if (heapDump) {
            // after the figures above: an instance writing a heap dump answers nothing meanwhile
            stack.alive().forEach(p -> p.heapDump(histograms.resolve("heap-" + p.name() + ".hprof")));
        }
        var f = new ScaleFigures.Live(n, (int) tasks.failed(), heapBefore, heapWith,
                round1((heapWith - heapBefore) / 1048576.0 * 10_000 / n), rssBefore, rssWith,
                round1((rssWith - rssBefore) / 1048576.0 * 10_000 / n), round1((stateWith - stateBeforeLive) / (double) n),
                null, 0);
        say("live: %d tasks held (%d failed): heap %s MB and RSS %s MB per 10,000 live tasks; state topic %s bytes per task",
                n, f.failed(), Targets.v(f.heapPer10kMb()), Targets.v(f.rssPer10kMb()), Targets.v(f.stateBytesPerTask()));
        return f;
    }

    private ScaleFigures.Restore restore(ScaleStack stack, LiveTasks tasks) {
        int expected = stack.activeTasks();
        OrchestratorProcess victim = stack.instances().get(0);
        say("restore: SIGKILL %s (pid %d) holding some of %d live tasks; a replacement starts at once", victim.name(),
                victim.pid(), expected);
        long killedAt = System.nanoTime();
        stack.kill(0);
        long exitedMillis = (System.nanoTime() - killedAt) / 1_000_000;
        // watched from its admin API's first answer: it says it serves only once its first partitions are restored
        // and its agent gateway listens, which is later than it holds the tasks
        OrchestratorProcess replacement = stack.replaceAnswering(0);
        long spawnedMillis = (System.nanoTime() - killedAt) / 1_000_000;
        // where the time goes, as far as its admin API tells; its log has the details (start, assignments, state
        // read ahead, read and decoded, tasks restored)
        AtomicReference<Long> answering = new AtomicReference<>();
        AtomicReference<Long> firstTask = new AtomicReference<>();
        long deadline = killedAt + TimeUnit.SECONDS.toNanos(sessionTimeoutMillis / 1000 + 120);
        boolean restored = poll(() -> {
            try {
                int held = replacement.activeTasks();
                long now = (System.nanoTime() - killedAt) / 1_000_000;
                answering.compareAndSet(null, now);
                if (held > 0) {
                    firstTask.compareAndSet(null, now);
                }
            } catch (RuntimeException e) {
                // still starting
            }
            return stack.activeTasks() >= expected;
        }, Duration.ofMillis(100), deadline);
        Long restoreMillis = restored ? (System.nanoTime() - killedAt) / 1_000_000 : null;
        replacement.awaitServing(Duration.ofMinutes(2));
        long servingMillis = (System.nanoTime() - killedAt) / 1_000_000;
        say("restore: the killed process was gone %d ms after the SIGKILL; the replacement's admin API answered at %s "
                + "ms (spawned and up to it: %d ms), its first task held at %s ms, agents let in at %d ms",
                exitedMillis, answering.get(), spawnedMillis, firstTask.get(), servingMillis);
        Long past = restoreMillis == null ? null : restoreMillis - sessionTimeoutMillis;
        say("restore: %s", restoreMillis == null ? "not every task was held again within the wait"
                : String.format("every live task held again %d ms after the SIGKILL (%d ms past the %d ms session "
                        + "timeout)", restoreMillis, past, sessionTimeoutMillis));
        return new ScaleFigures.Restore(expected, victim.name(), sessionTimeoutMillis, restoreMillis, past, 0, 0,
                answering.get(), firstTask.get());
    }

    /** A step during which the last instance leaves (SIGTERM) at a third and a new one joins its slot at two thirds. */
    private ScaleFigures.Rebalance rebalance(LoadGenerator generator, ScaleStack stack) throws Exception {
        double seconds = Math.max(stepSeconds, 21);
        int slot = orchestrators - 1;
        say("rebalance: %s tasks/s for %s s; %s leaves after a third, a new instance joins after two thirds",
                Targets.v(rebalanceRate), Targets.v(seconds), stack.instances().get(slot).name());
        var run = CompletableFuture.supplyAsync(() -> generator.run(new LoadGenerator.Step("rebalance", rebalanceRate,
                Duration.ofMillis(Math.round(seconds * 1000)))));
        long t0 = System.nanoTime();
        long third = Math.round(seconds * 1e9 / 3);
        String left = at(t0 + third, () -> stack.stop(slot).name());
        String joined = at(t0 + 2 * third, () -> stack.replace(slot).name());
        LoadGenerator.StepRun done = run.get();
        StepFigures f = StepFigures.of(done, services, null, null);
        List<Long> readies = done.tasks().stream().filter(TaskTrace::isReady).map(TaskTrace::readyMicros).sorted().toList();
        long stall = 0;
        for (int i = 1; i < readies.size(); i++) {
            stall = Math.max(stall, readies.get(i) - readies.get(i - 1));
        }
        var r = new ScaleFigures.Rebalance(rebalanceRate, left, joined, stall / 1000.0, f.orchestrationOverhead().p99(),
                f.orchestrationOverhead().max(), f.tasks(), f.tasksWithErrors());
        say("rebalance: longest stall between two ready tasks %s ms, overhead p99 %s ms, max %s ms, %d of %d tasks "
                        + "with errors", Targets.v(r.longestStallMs()), Targets.v(r.overheadP99Ms()),
                Targets.v(r.maxOverheadMs()), r.tasksWithErrors(), r.tasks());
        f.errorSamples().forEach(e -> say("  error: %s", e));
        return r;
    }

    private ScaleFigures.PartitionRun partitionRun(int p, Workload workload) {
        say("partitions %d: a fresh stack, %s tasks/s for %s s", p, Targets.v(referenceRate), Targets.v(stepSeconds));
        try (ScaleStack stack = ScaleStack.start(new ScaleStack.Options(orchestrators, p, sessionTimeoutMillis,
                javaOptions(), List.of(), workers(), readyDelayMillis, heartbeatMillis,
                out.resolve(stamp).resolve("logs-p" + p), caDir));
             var generator = new LoadGenerator(stack.bootstrapServers(), workload)) {
            if (warmupSeconds > 0) {
                warmUp(generator, stack, "p" + p + "-warmup");
            }
            List<Double> cpu = new ArrayList<>();
            StepFigures f = step(generator, stack, "p" + p, referenceRate, stepSeconds, cpu, null);
            return new ScaleFigures.PartitionRun(p, referenceRate, f.throughputTasksPerSecond(),
                    f.orchestrationOverhead().p50(), f.orchestrationOverhead().p99(), f.tasksWithErrors(),
                    f.sustained(), cpu.get(0));
        }
    }

    private static List<String> notes(List<String> notMeasured) {
        List<String> notes = new ArrayList<>(List.of(
                "The simulated agents run nothing: each service is ready when StartServices arrives (plus the "
                        + "ready delay) and stopped when StopServices does, so the overhead is the orchestrator's "
                        + "path (Kafka in, placement, gRPC out, the agent's events back through Kafka, the answer).",
                "Kafka, the simulated agents and the generator share this JVM and the machine's cores with the "
                        + "orchestrator instances: the figures are lower bounds of what the instances alone can do.",
                "Heap per live task: the bytes of the instances' live objects after a full GC (the total of jcmd "
                        + "GC.class_histogram) with the live tasks, minus "
                        + "before them. RSS: the same for the processes' resident memory."));
        notMeasured.forEach(n -> notes.add("Not measured: " + n));
        return notes;
    }

    private static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }

    private static Path createDirectories(Path dir) {
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Does {@code action} at {@code nanoTime} (a point in a step's schedule, the end of a measurement window). */
    private static <T> T at(long nanoTime, Callable<T> action) {
        long delay = Math.max(0, nanoTime - System.nanoTime());
        return CompletableFuture.supplyAsync(() -> {
            try {
                return action.call();
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, CompletableFuture.delayedExecutor(delay, TimeUnit.NANOSECONDS)).join();
    }

    /** Checks {@code done} every {@code every} until it holds or {@code deadline} (nanoTime) passes; whether it held. */
    private static boolean poll(java.util.function.BooleanSupplier done, Duration every, long deadline) {
        CompletableFuture<Boolean> held = new CompletableFuture<>();
        var timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        try {
            timer.scheduleWithFixedDelay(() -> {
                try {
                    if (done.getAsBoolean()) {
                        held.complete(true);
                    } else if (System.nanoTime() > deadline) {
                        held.complete(false);
                    }
                } catch (RuntimeException e) {
                    held.completeExceptionally(e);
                }
            }, 0, every.toNanos(), TimeUnit.NANOSECONDS);
            return held.join();
        } finally {
            timer.shutdownNow();
        }
    }

    private void say(String format, Object... args) {
        err.printf("scale-test: " + format + "%n", args);
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
