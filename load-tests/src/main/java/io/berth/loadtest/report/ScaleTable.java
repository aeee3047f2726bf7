package io.berth.loadtest.report;

import io.berth.loadtest.measure.StepFigures;
import io.berth.loadtest.scale.ScaleFigures;
import java.util.List;
import java.util.Locale;

/** A scale-out run's figures as Markdown (summary.md): the sweep, then memory, restore, rebalance, partitions. */
final class ScaleTable {
    private ScaleTable() {}

    static String markdown(Report report) {
        ScaleFigures scale = report.scale();
        var p = report.parameters();
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "%d simulated agents (capacity %s), %d orchestrator instance(s), %d "
                        + "partitions; %d services per task, held %d ms once ready, %.0f s per rate; %d cores, %.0f %% "
                        + "of the CPU busy with other work before the run (load average %s); %s.%n%n",
                scale.simulatedAgents(), scale.agentCapacity() <= 0 ? "unlimited" : scale.agentCapacity(),
                scale.orchestrators(), scale.partitions(), p.servicesPerTask(), p.holdMillis(), p.stepSeconds(),
                report.machine().cores(), report.machine().otherCpuBusyPercent(), report.machine().loadAverageBefore(),
                report.stack()));
        md.append("Latencies in ms as p50 / p90 / p99. Dispatch: task.started → StartServices at the agent; "
                + "aggregation: the last service.ready → task.services.ready.\n\n");
        md.append("| offered tasks/s | achieved tasks/s | errors | orchestration overhead | dispatch | aggregation "
                + "| teardown | orchestrator CPU per task (ms) | generator JVM CPU per task (ms) | state records per task |\n");
        md.append("|---:|---:|---:|---|---|---|---|---:|---:|---:|\n");
        List<StepFigures> steps = report.steps();
        for (int i = 0; i < steps.size(); i++) {
            StepFigures s = steps.get(i);
            String errors = Integer.toString(s.tasksWithErrors());
            if (s.overloadedAfterSeconds() != null) {
                errors += String.format(Locale.ROOT, " (fell behind: stopped after %.1f s, %d not sent)",
                        s.overloadedAfterSeconds(), s.unsent());
            }
            Double cpu = i < scale.orchestratorCpuPerTaskMs().size() ? scale.orchestratorCpuPerTaskMs().get(i) : null;
            Double state = scale.stateRecordsPerTask() != null && i < scale.stateRecordsPerTask().size()
                    ? scale.stateRecordsPerTask().get(i) : null;
            md.append(String.format(Locale.ROOT, "| %s | %.1f | %s | %s | %s | %s | %s | %s | %s | %s |%n",
                    Targets.v(s.offeredTasksPerSecond()), s.throughputTasksPerSecond(), errors,
                    Table.triple(s.orchestrationOverhead()), Table.triple(s.dispatch()), Table.triple(s.aggregation()),
                    Table.triple(s.teardown()), Targets.v(cpu), s.cpu() == null ? "-" : Targets.v(s.cpu().perTaskMs()),
                    Targets.v(state)));
        }
        if (scale.idleCpuMillisPerSecond() != null) {
            md.append(String.format(Locale.ROOT, "%nWith the agents linked and no task arriving (after the warm-up) "
                    + "the instances used %s ms of CPU per second.%n", Targets.v(scale.idleCpuMillisPerSecond())));
        }
        var live = scale.live();
        if (live != null) {
            md.append(String.format(Locale.ROOT, "%n%d live tasks (%d failed): heap after a full GC %d → %d MB, "
                            + "**%s MB per 10,000 live tasks**; RSS %d → %d MB, %s MB per 10,000. State topic: %s bytes "
                            + "per task up to ready, %s bytes per task over its whole life (before compaction).%n",
                    live.tasks(), live.failed(), live.heapBeforeBytes() >> 20, live.heapWithTasksBytes() >> 20,
                    Targets.v(live.heapPer10kMb()), live.rssBeforeBytes() >> 20, live.rssWithTasksBytes() >> 20,
                    Targets.v(live.rssPer10kMb()), Targets.v(live.stateBytesPerTask()),
                    Targets.v(live.stateBytesPerTaskLifecycle())));
        }
        var restore = scale.restore();
        if (restore != null) {
            md.append(String.format(Locale.ROOT, "%nRestore: %s SIGKILLed with %d live tasks in the group, a "
                            + "replacement started at once: every task held again after %s ms, **%s ms past the %d ms "
                            + "session timeout** (the replacement answered at %s ms, held its first task at %s ms); "
                            + "then all ended: %d released, %d not.%n", restore.killed(),
                    restore.liveTasks(), restore.restoreMillis() == null ? "-" : restore.restoreMillis().toString(),
                    restore.pastSessionTimeoutMillis() == null ? "-" : restore.pastSessionTimeoutMillis().toString(),
                    restore.sessionTimeoutMillis(), orDash(restore.replacementAnsweringMillis()),
                    orDash(restore.replacementFirstTaskMillis()), restore.releasedAfter(), restore.tasksNotReleased()));
        }
        var rebalance = scale.rebalance();
        if (rebalance != null) {
            md.append(String.format(Locale.ROOT, "%nRebalance at %s tasks/s: %s left (SIGTERM), then %s joined: longest "
                            + "stall between two ready tasks **%s ms**, overhead p99 %s ms, max %s ms; %d of %d tasks with "
                            + "errors.%n", Targets.v(rebalance.ratePerSecond()), rebalance.left(), rebalance.joined(),
                    Targets.v(rebalance.longestStallMs()), Targets.v(rebalance.overheadP99Ms()),
                    Targets.v(rebalance.maxOverheadMs()), rebalance.tasksWithErrors(), rebalance.tasks()));
        }
        if (!scale.partitionSweep().isEmpty()) {
            md.append(String.format(Locale.ROOT, "%nOther partition counts, each on a fresh stack (the main run's %d are "
                    + "in the first table):%n", scale.partitions()));
            md.append("\n| partitions | offered tasks/s | achieved tasks/s | overhead p50 / p99 | errors | sustained "
                    + "| orchestrator CPU per task (ms) |\n|---:|---:|---:|---|---:|---|---:|\n");
            for (var r : scale.partitionSweep()) {
                md.append(String.format(Locale.ROOT, "| %d | %s | %.1f | %s / %s | %d | %s | %s |%n", r.partitions(),
                        Targets.v(r.offeredTasksPerSecond()), r.achievedTasksPerSecond(), Targets.v(r.overheadP50Ms()),
                        Targets.v(r.overheadP99Ms()), r.tasksWithErrors(), r.sustained() ? "yes" : "no",
                        Targets.v(r.orchestratorCpuPerTaskMs())));
            }
        }
        if (scale.profile() != null) {
            md.append(String.format(Locale.ROOT, "%nProfile of %s over the sweep (%d execution samples). Hottest "
                    + "methods (self): %s.%n%nBerth methods (inclusive): %s.%n%nThreads by samples: %s.%n%nThreads by "
                    + "CPU time (%% of one core, native code and JIT compilers included): %s.%n",
                    scale.profile().file(), scale.profile().samples(), String.join("; ", scale.profile().self()),
                    String.join("; ", scale.profile().berth()), String.join("; ", scale.profile().threads()),
                    scale.profile().threadCpu() == null ? "-" : String.join("; ", scale.profile().threadCpu())));
        }
        md.append("\n| target | measured | met |\n|---|---|---|\n");
        for (Targets.Check c : report.targets()) {
            md.append(String.format(Locale.ROOT, "| %s | %s | %s |%n", c.target(), c.measured(),
                    c.met() == null ? "not measured" : c.met() ? "yes" : "**no**"));
        }
        return md.toString();
    }

    private static String orDash(Long millis) {
        return millis == null ? "-" : millis.toString();
    }
}
