package io.berth.loadtest.report;

import io.berth.loadtest.measure.JvmCpuSplit;
import io.berth.loadtest.measure.Latency;
import io.berth.loadtest.measure.StepFigures;
import io.berth.loadtest.peer.PeerReport;
import java.util.Locale;

/** The report's figures as Markdown (summary.md), the form the README quotes. */
public final class Table {
    private Table() {}

    public static String markdown(Report report) {
        if (report.scale() != null) {
            return ScaleTable.markdown(report);
        }
        StringBuilder md = new StringBuilder();
        var p = report.parameters();
        md.append(String.format(Locale.ROOT, "%d services per task (%s), tasks held %d ms once ready, %.0f s per rate; "
                        + "%d cores, %.0f %% of the CPU busy with other work before the run; %s.",
                p.servicesPerTask(), p.service(), p.holdMillis(), p.stepSeconds(), report.machine().cores(),
                report.machine().otherCpuBusyPercent(), report.stack()));
        if (p.warmupSeconds() > 0 && p.warmupJitSeconds() >= 0) {
            md.append(String.format(Locale.ROOT, " Warm-up (not in the tables): %.0f s at up to %s tasks/s, in which "
                    + "the JIT compiled %.1f s of CPU (once per JVM).", p.warmupSeconds(),
                    Targets.v(p.warmupRatePerSecond()), p.warmupJitSeconds()));
        }
        md.append("\n\n");
        md.append("Latencies in ms as p50 / p90 / p99.\n\n");
        md.append("| offered tasks/s | achieved tasks/s | errors | orchestration overhead | net of the services' own start "
                + "| readiness lag | teardown | CPU per task (ms): all / Berth / services | other work on the CPUs |\n");
        md.append("|---:|---:|---:|---|---|---|---|---:|---:|\n");
        for (StepFigures s : report.steps()) {
            Latency.Summary lag = s.readinessLag().count() > 0 ? s.readinessLag() : s.readinessLagAgentView();
            Latency.Summary net = s.overheadNet().count() > 0 ? s.overheadNet() : s.overheadNetAgentView();
            String errors = Integer.toString(s.tasksWithErrors());
            if (s.overloadedAfterSeconds() != null) {
                errors += String.format(Locale.ROOT, " (fell behind: stopped after %.1f s, %d not sent)",
                        s.overloadedAfterSeconds(), s.unsent());
            }
            md.append(String.format(Locale.ROOT, "| %s | %.1f | %s | %s | %s | %s | %s | %s | %s |%n",
                    Targets.v(s.offeredTasksPerSecond()), s.throughputTasksPerSecond(), errors,
                    triple(s.orchestrationOverhead()), triple(net), triple(lag), triple(s.teardown()),
                    s.cpu() == null ? "-" : Targets.v(s.cpu().perTaskMs()) + " / " + Targets.v(s.cpu().berthPerTaskMs())
                            + " / " + Targets.v(s.cpu().servicesPerTaskMs()),
                    s.cpu() == null || s.cpu().otherBusyPercent() == null ? "-"
                            : String.format(Locale.ROOT, "%.0f %%", s.cpu().otherBusyPercent())));
        }
        md.append("\nWhere a start's time goes (p50, ms): task.started → first service launched (dispatch), the services' "
                + "own launch → listen (listener alone, without Berth: ")
                .append(report.listenerBaseline() == null ? "-" : Targets.v(report.listenerBaseline().p50()))
                .append(" ms), listen → port seen open (detection), last service.ready → task.services.ready "
                        + "(aggregation).\n\n");
        md.append("| offered tasks/s | dispatch | services' own start | detection | aggregation |\n|---:|---:|---:|---:|---:|\n");
        for (StepFigures s : report.steps()) {
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s |%n", Targets.v(s.offeredTasksPerSecond()),
                    Targets.v(s.dispatch().p50()), Targets.v(s.serviceStart().p50()), Targets.v(s.portDetection().p50()),
                    Targets.v(s.aggregation().p50())));
        }
        md.append("\nWhere the CPU per task goes (ms): the JVM's threads of the embedded Kafka broker, of Berth (orchestrator "
                + "and agent), of the generator, the JVM's JIT compilers and GC; Berth's helper processes (launch server, "
                + "relays; services excluded); of the JIT and GC, the JIT compilers' share (a JIT still compiling after the warm-up "
                + "shows there).\n\n");
        md.append("| offered tasks/s | broker | Berth JVM | generator | JIT + GC | of it JIT | helpers |\n"
                + "|---:|---:|---:|---:|---:|---:|---:|\n");
        for (StepFigures s : report.steps()) {
            JvmCpuSplit j = s.cpu() == null ? null : s.cpu().jvmPerTaskMs();
            if (j != null) {
                double helpers = (s.cpu().childrenMs() - s.cpu().servicesMs()) / Math.max(1, s.tasks());
                md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s |%n",
                        Targets.v(s.offeredTasksPerSecond()), Targets.v(j.brokerMs()), Targets.v(j.berthMs()),
                        Targets.v(j.generatorMs()), Targets.v(j.jitAndGcMs()), Targets.v(j.jitMs()),
                        Targets.v(Math.round(helpers * 10) / 10.0)));
            }
        }
        md.append("\nBerth's JVM share by thread group (ms per task):\n\n");
        for (StepFigures s : report.steps()) {
            JvmCpuSplit j = s.cpu() == null ? null : s.cpu().jvmPerTaskMs();
            if (j != null) {
                md.append("- ").append(Targets.v(s.offeredTasksPerSecond())).append(" tasks/s: ");
                md.append(String.join(", ", j.berthByThreadMs().entrySet().stream()
                        .map(e -> e.getKey() + " " + Targets.v(e.getValue())).toList())).append('\n');
            }
        }
        if (report.steps().stream().anyMatch(s -> s.kafkaPerTask() != null && !s.kafkaPerTask().requests().isEmpty())) {
            md.append("\nWhat the embedded broker was asked per task (its own counters): requests by type; records by topic.\n\n");
            for (StepFigures s : report.steps()) {
                if (s.kafkaPerTask() != null && !s.kafkaPerTask().requests().isEmpty()) {
                    md.append("- ").append(Targets.v(s.offeredTasksPerSecond())).append(" tasks/s: ")
                            .append(join(s.kafkaPerTask().requests())).append("; records ")
                            .append(join(s.kafkaPerTask().records())).append('\n');
                }
            }
        }
        PeerReport peer = report.peer();
        md.append('\n');
        if (peer != null && peer.skipped() == null) {
            md.append(String.format(Locale.ROOT, "Peer, redis start to ready (medians of %d): Berth %.1f ms, podman-compose "
                            + "%.0f ms (healthcheck every 1 s) → **%.1f×**; container floor (back-to-back checks) %.0f ms → "
                            + "%.1f×. Teardown: Berth %.1f ms, podman-compose down %.0f ms → %.1f×.%n",
                    peer.runs(), peer.berthStartToReadyMedian(), peer.composeStartToHealthyMedian(),
                    peer.startToReadyRatio(), peer.floorStartToHealthyMedian(), peer.floorRatio(),
                    peer.berthTeardownMedian(), peer.composeDownMedian(), peer.teardownRatio()));
            if (peer.berthCliMedian() != null) {
                md.append(String.format(Locale.ROOT, "Whole commands: `berth run` (cold JVM, embedded Kafka) %.0f ms, "
                                + "compose up + healthy + task + down %.0f ms → %.1f×.%n",
                        peer.berthCliMedian(), peer.composeTotalMedian(), peer.wholeCommandRatio()));
            }
        } else if (peer != null) {
            md.append("Peer: not run (").append(peer.skipped()).append(").\n");
        }
        md.append("\n| target | measured | met |\n|---|---|---|\n");
        for (Targets.Check c : report.targets()) {
            md.append(String.format(Locale.ROOT, "| %s | %s | %s |%n", c.target(), c.measured(),
                    c.met() == null ? "not measured" : c.met() ? "yes" : "**no**"));
        }
        return md.toString();
    }

    static String triple(Latency.Summary s) {
        if (s.count() == 0) {
            return "-";
        }
        return Targets.v(s.p50()) + " / " + Targets.v(s.p90()) + " / " + Targets.v(s.p99());
    }

    private static String join(java.util.Map<String, Double> perTask) {
        return String.join(", ", perTask.entrySet().stream().map(e -> e.getKey() + " " + Targets.v(e.getValue())).toList());
    }
}
