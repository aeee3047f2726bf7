package io.berth.loadtest.report;

import io.berth.loadtest.measure.Latency;
import io.berth.loadtest.measure.StepFigures;
import io.berth.loadtest.peer.PeerReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/** The targets, checked against what was measured. */
public final class Targets {
    /** @param met null when the run did not measure it (e.g. no 50 tasks/s step) */
    public record Check(String target, String measured, Boolean met) {}

    public static final double REFERENCE_RATE = 50;
    public static final double THROUGHPUT_RATE = 100;

    private Targets() {}

    public static List<Check> check(List<StepFigures> steps, PeerReport peer) {
        List<Check> checks = new ArrayList<>(sandboxTargets(steps));
        Optional<StepFigures> reference = steps.stream()
                .filter(s -> s.offeredTasksPerSecond() == REFERENCE_RATE && s.servicesPerTask() == 2).findFirst();
        checks.add(reference.map(s -> new Check("orchestration overhead p50 <= 8 ms at 50 tasks/s, 2 services",
                        String.format(Locale.ROOT, "%s ms (net of the services' own start: %s ms)",
                                v(s.orchestrationOverhead().p50()), v(s.overheadNet().p50())),
                        le(s.orchestrationOverhead().p50(), 8)))
                .orElse(new Check("orchestration overhead p50 <= 8 ms at 50 tasks/s, 2 services", "no such step", null)));
        checks.add(reference.map(s -> new Check("orchestration overhead p99 <= 30 ms at 50 tasks/s, 2 services",
                        String.format(Locale.ROOT, "%s ms (net: %s ms)",
                                v(s.orchestrationOverhead().p99()), v(s.overheadNet().p99())),
                        le(s.orchestrationOverhead().p99(), 30)))
                .orElse(new Check("orchestration overhead p99 <= 30 ms at 50 tasks/s, 2 services", "no such step", null)));
        checks.add(everyStep(steps, "readiness lag p99 <= 10 ms", 10,
                s -> s.readinessLag().count() > 0 ? s.readinessLag() : s.readinessLagAgentView()));
        checks.add(everyStep(steps, "teardown p99 <= 25 ms (TERM-responsive services)", 25, StepFigures::teardown));
        Optional<StepFigures> fast = steps.stream()
                .filter(s -> s.offeredTasksPerSecond() >= THROUGHPUT_RATE && s.servicesPerTask() == 2).findFirst();
        checks.add(fast.map(s -> new Check(">= 100 task starts/s sustained, 2 services each, zero errors",
                        String.format(Locale.ROOT, "%.2f tasks/s achieved of %.0f offered, %d errors, backlog growth %s ms",
                                s.throughputTasksPerSecond(), s.offeredTasksPerSecond(), s.tasksWithErrors(),
                                s.backlogGrowthMs() == null ? "-" : String.format(Locale.ROOT, "%.1f", s.backlogGrowthMs())),
                        s.sustained()))
                .orElse(new Check(">= 100 task starts/s sustained, 2 services each, zero errors", "no such step", null)));
        if (peer == null || peer.skipped() != null) {
            checks.add(new Check(">= 10x faster than podman-compose for redis, start to ready",
                    peer == null ? "not run" : "not run: " + peer.skipped(), null));
        } else {
            checks.add(new Check(">= 10x faster than podman-compose for redis, start to ready",
                    String.format(Locale.ROOT, "%.1fx (compose %.0f ms vs Berth %.1f ms, medians of %d); "
                                    + "%.1fx against the container floor (%.0f ms)",
                            peer.startToReadyRatio(), peer.composeStartToHealthyMedian(),
                            peer.berthStartToReadyMedian(), peer.runs(), peer.floorRatio(),
                            peer.floorStartToHealthyMedian()),
                    peer.startToReadyRatio() >= 10));
        }
        return checks;
    }

    /** The task sandbox's targets: Berth's own CPU, sustained rate, overhead and teardown at 25 tasks/s. */
    private static List<Check> sandboxTargets(List<StepFigures> steps) {
        List<Check> checks = new ArrayList<>();
        Optional<StepFigures> at25 = steps.stream()
                .filter(s -> s.offeredTasksPerSecond() == 25 && s.servicesPerTask() == 2).findFirst();
        checks.add(at25.filter(s -> s.cpu() != null).map(s -> new Check("Berth's own CPU per task <= 25 ms (JVM with "
                        + "the embedded broker, and helpers; services and the load generator excluded), at 25 tasks/s", String.format(Locale.ROOT,
                        "%s ms (services %s ms, all %s ms)", v(s.cpu().berthPerTaskMs()),
                        v(s.cpu().servicesPerTaskMs()), v(s.cpu().perTaskMs())), le(s.cpu().berthPerTaskMs(), 25)))
                .orElse(new Check("Berth's own CPU per task <= 25 ms, at 25 tasks/s", "no such step", null)));
        checks.add(at25.map(s -> new Check("orchestration overhead p50 <= 20 ms / p99 <= 60 ms at 25 tasks/s",
                        String.format(Locale.ROOT, "%s / %s ms", v(s.orchestrationOverhead().p50()),
                                v(s.orchestrationOverhead().p99())),
                        and(le(s.orchestrationOverhead().p50(), 20), le(s.orchestrationOverhead().p99(), 60))))
                .orElse(new Check("orchestration overhead p50 <= 20 ms / p99 <= 60 ms at 25 tasks/s", "no such step",
                        null)));
        checks.add(at25.map(s -> new Check("teardown p99 <= 50 ms at 25 tasks/s", v(s.teardown().p99()) + " ms",
                        le(s.teardown().p99(), 50)))
                .orElse(new Check("teardown p99 <= 50 ms at 25 tasks/s", "no such step", null)));
        Optional<StepFigures> at50 = steps.stream()
                .filter(s -> s.offeredTasksPerSecond() >= 50 && s.servicesPerTask() == 2).findFirst();
        checks.add(at50.map(s -> new Check(">= 50 tasks/s sustained, 2 services each, zero errors",
                        String.format(Locale.ROOT, "%.2f tasks/s achieved of %.0f offered, %d errors",
                                s.throughputTasksPerSecond(), s.offeredTasksPerSecond(), s.tasksWithErrors()),
                        s.sustained()))
                .orElse(new Check(">= 50 tasks/s sustained, 2 services each, zero errors", "no such step", null)));
        return checks;
    }

    private static Boolean and(Boolean a, Boolean b) {
        return a == null || b == null ? null : a && b;
    }

    private static Check everyStep(List<StepFigures> steps, String target, double limit,
                                   Function<StepFigures, Latency.Summary> figure) {
        if (steps.isEmpty()) {
            return new Check(target, "no steps", null);
        }
        List<String> parts = new ArrayList<>();
        boolean met = true;
        for (StepFigures s : steps) {
            Double p99 = figure.apply(s).p99();
            parts.add(String.format(Locale.ROOT, "%s ms at %s/s", v(p99), v(s.offeredTasksPerSecond())));
            met &= Boolean.TRUE.equals(le(p99, limit));
        }
        return new Check(target + " (every rate)", String.join(", ", parts), met);
    }

    private static Boolean le(Double value, double limit) {
        return value == null ? null : value <= limit;
    }

    /** A figure for people: "-" when absent, whole numbers from 10 up, else one decimal. */
    public static String v(Double d) {
        if (d == null) {
            return "-";
        }
        return d == Math.rint(d) && Math.abs(d) >= 10 ? Long.toString(d.longValue())
                : String.format(Locale.ROOT, "%.1f", d);
    }
}
