package io.berth.loadtest.scale;

import io.berth.loadtest.measure.StepFigures;
import io.berth.loadtest.report.Targets;
import io.berth.loadtest.report.Targets.Check;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The scale-out issue's targets, checked against what a scale run measured. */
public final class ScaleTargets {
    public static final double THROUGHPUT = 2000;
    public static final double OVERHEAD_P99_MS = 50;
    public static final double HEAP_PER_10K_MB = 30;
    public static final double RESTORE_PAST_SESSION_MS = 10_000;

    private ScaleTargets() {}

    public static List<Check> check(List<StepFigures> steps, ScaleFigures scale, double referenceRate) {
        List<Check> checks = new ArrayList<>();
        String instances = scale.orchestrators() == 1 ? "one orchestrator" : scale.orchestrators() + " orchestrators";
        Optional<StepFigures> fast = steps.stream().filter(s -> s.offeredTasksPerSecond() >= THROUGHPUT).findFirst();
        String throughput = ">= 2,000 task starts/s sustained (" + instances + ", simulated agents)";
        checks.add(fast.map(s -> new Check(throughput, String.format(Locale.ROOT,
                        "%.0f of %.0f offered, %d errors; highest rate sustained: %s tasks/s", s.throughputTasksPerSecond(),
                        s.offeredTasksPerSecond(), s.tasksWithErrors(), Targets.v(scale.maxSustainedTasksPerSecond())),
                        s.sustained()))
                .orElse(new Check(throughput, "no step at 2,000/s or more (highest sustained: "
                        + Targets.v(scale.maxSustainedTasksPerSecond()) + ")", scale.maxSustainedTasksPerSecond() == null
                        ? null : false)));
        String latency = "overhead p99 <= 50 ms at " + Targets.v(referenceRate) + " tasks/s";
        checks.add(steps.stream().filter(s -> s.offeredTasksPerSecond() == referenceRate).findFirst()
                .map(s -> new Check(latency, String.format(Locale.ROOT, "p50 %s / p99 %s ms",
                        Targets.v(s.orchestrationOverhead().p50()), Targets.v(s.orchestrationOverhead().p99())),
                        s.orchestrationOverhead().p99() != null && s.orchestrationOverhead().p99() <= OVERHEAD_P99_MS))
                .orElse(new Check(latency, "no such step", null)));
        var live = scale.live();
        checks.add(live == null ? new Check("<= 30 MB heap per 10,000 live tasks", "not measured", null)
                : new Check("<= 30 MB heap per 10,000 live tasks", String.format(Locale.ROOT,
                        "%s MB heap (RSS %s MB) per 10,000, measured with %d live tasks", Targets.v(live.heapPer10kMb()),
                        Targets.v(live.rssPer10kMb()), live.tasks()), live.heapPer10kMb() <= HEAP_PER_10K_MB));
        var restore = scale.restore();
        String restoreTarget = "restore of the live tasks <= 10 s past the session timeout after a SIGKILL";
        checks.add(restore == null ? new Check(restoreTarget, "not measured", null)
                : new Check(restoreTarget, restore.restoreMillis() == null ? "never restored within the wait"
                        : String.format(Locale.ROOT, "%d live tasks: %d ms after the kill, %d ms past the %d ms session "
                                + "timeout; %d not released afterwards", restore.liveTasks(), restore.restoreMillis(),
                        restore.pastSessionTimeoutMillis(), restore.sessionTimeoutMillis(), restore.tasksNotReleased()),
                        restore.pastSessionTimeoutMillis() != null
                                && restore.pastSessionTimeoutMillis() <= RESTORE_PAST_SESSION_MS
                                && restore.tasksNotReleased() == 0));
        checks.add(scale.agentCapacity() <= 0
                ? new Check("zero over-committed workers", "not exercised: the workers had no capacity limit", null)
                : new Check("zero over-committed workers", scale.capacityRefusals() + " StartServices refused by a "
                        + "worker at capacity " + scale.agentCapacity(), scale.capacityRefusals() == 0));
        return checks;
    }
}
