package io.berth.loadtest.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.berth.events.json.Json;
import io.berth.loadtest.measure.Latency;
import io.berth.loadtest.measure.StepFigures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Writes a run's report into {@code <out>/<timestamp>/} — report.json, latency-vs-load.svg, summary.md —
 * and copies the three into {@code <out>/latest/}.
 */
public final class ReportFiles {
    public static final String JSON = "report.json";
    public static final String PLOT = "latency-vs-load.svg";
    public static final String SUMMARY = "summary.md";

    private static final ObjectMapper MAPPER = Json.MAPPER.copy().enable(SerializationFeature.INDENT_OUTPUT);

    private ReportFiles() {}

    /** @return the run's directory */
    public static Path write(Path out, String stamp, Report report) throws IOException {
        Path dir = out.resolve(stamp);
        Files.createDirectories(dir);
        MAPPER.writeValue(dir.resolve(JSON).toFile(), report);
        Files.writeString(dir.resolve(PLOT), plot(report), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve(SUMMARY), Table.markdown(report), StandardCharsets.UTF_8);
        Path latest = out.resolve("latest");
        Files.createDirectories(latest);
        for (String f : List.of(JSON, PLOT, SUMMARY)) {
            Files.copy(dir.resolve(f), latest.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        return dir;
    }

    static String plot(Report report) {
        List<StepFigures> steps = report.steps();
        var p = report.parameters();
        String subtitle = String.format(Locale.ROOT, "%s: %d × %s per task, held %d ms; %d cores for Kafka, "
                        + "orchestrator, agent, generator (%.0f%% busy with other work before)", report.generatedAt(),
                p.servicesPerTask(), p.service(), p.holdMillis(), report.machine().cores(),
                report.machine().otherCpuBusyPercent());
        List<SvgPlot.Panel> panels = report.scale() != null ? scalePanels(steps) : List.of(
                new SvgPlot.Panel("Orchestration overhead: task.started → services.ready", "offered load (tasks/s)",
                        "ms", percentiles(steps, StepFigures::orchestrationOverhead),
                        List.of(new SvgPlot.Threshold("target p99 30 ms @50/s", 30, "#c0392b"),
                                new SvgPlot.Threshold("target p50 8 ms @50/s", 8, "#2471a3")), true),
                new SvgPlot.Panel("Same, net of the services' own launch → listen", "offered load (tasks/s)", "ms",
                        percentiles(steps, s -> s.overheadNet().count() > 0 ? s.overheadNet() : s.overheadNetAgentView()),
                        List.of(), true),
                new SvgPlot.Panel("Readiness lag: port listening → service.ready", "offered load (tasks/s)", "ms",
                        percentiles(steps, s -> s.readinessLag().count() > 0 ? s.readinessLag() : s.readinessLagAgentView()),
                        List.of(new SvgPlot.Threshold("target p99 10 ms", 10, "#c0392b")), true),
                new SvgPlot.Panel("Teardown: task.ended → services.released", "offered load (tasks/s)", "ms",
                        percentiles(steps, StepFigures::teardown),
                        List.of(new SvgPlot.Threshold("target p99 25 ms", 25, "#c0392b")), true),
                new SvgPlot.Panel("Throughput", "offered load (tasks/s)", "tasks/s",
                        List.of(series("achieved (tasks ready/s)", "#1e8449", false, steps,
                                        s -> s.throughputTasksPerSecond()),
                                series("offered", "#999999", true, steps, StepFigures::offeredTasksPerSecond)),
                        List.of(), false),
                new SvgPlot.Panel("Errors", "offered load (tasks/s)", "tasks",
                        List.of(series("tasks with errors", "#c0392b", false, steps, s -> (double) s.tasksWithErrors()),
                                series("tasks not sent (Berth fell behind)", "#7d3c98", true, steps,
                                        s -> (double) s.unsent())),
                        List.of(), false));
        if (report.scale() != null) {
            var scale = report.scale();
            subtitle = String.format(Locale.ROOT, "%s: %d simulated agents, %d orchestrator instance(s), %d partitions, "
                            + "%d services per task; %d cores for Kafka, orchestrators, agents, generator (%.0f%% busy "
                            + "with other work before)", report.generatedAt(), scale.simulatedAgents(),
                    scale.orchestrators(), scale.partitions(), p.servicesPerTask(), report.machine().cores(),
                    report.machine().otherCpuBusyPercent());
        }
        return SvgPlot.render("Berth latency percentiles against offered load", subtitle, panels, 2);
    }

    /** The same six panels for the orchestrator alone: its path split into dispatch and aggregation. */
    private static List<SvgPlot.Panel> scalePanels(List<StepFigures> steps) {
        return List.of(
                new SvgPlot.Panel("Orchestration overhead: task.started → services.ready", "offered load (tasks/s)",
                        "ms", percentiles(steps, StepFigures::orchestrationOverhead),
                        List.of(new SvgPlot.Threshold("target p99 50 ms @1000/s", 50, "#c0392b")), true),
                new SvgPlot.Panel("Dispatch: task.started → StartServices at the agent", "offered load (tasks/s)", "ms",
                        percentiles(steps, StepFigures::dispatch), List.of(), true),
                new SvgPlot.Panel("Aggregation: last service.ready → services.ready", "offered load (tasks/s)", "ms",
                        percentiles(steps, StepFigures::aggregation), List.of(), true),
                new SvgPlot.Panel("Teardown: task.ended → services.released", "offered load (tasks/s)", "ms",
                        percentiles(steps, StepFigures::teardown), List.of(), true),
                new SvgPlot.Panel("Throughput", "offered load (tasks/s)", "tasks/s",
                        List.of(series("achieved (tasks ready/s)", "#1e8449", false, steps,
                                        s -> s.throughputTasksPerSecond()),
                                series("offered", "#999999", true, steps, StepFigures::offeredTasksPerSecond)),
                        List.of(new SvgPlot.Threshold("target 2000/s", 2000, "#c0392b")), false),
                new SvgPlot.Panel("Errors", "offered load (tasks/s)", "tasks",
                        List.of(series("tasks with errors", "#c0392b", false, steps, s -> (double) s.tasksWithErrors()),
                                series("tasks not sent (fell behind)", "#7d3c98", true, steps,
                                        s -> (double) s.unsent())),
                        List.of(), false));
    }

    private static List<SvgPlot.Series> percentiles(List<StepFigures> steps, Function<StepFigures, Latency.Summary> f) {
        return List.of(series("p50", "#2471a3", false, steps, s -> f.apply(s).p50()),
                series("p90", "#d68910", false, steps, s -> f.apply(s).p90()),
                series("p99", "#c0392b", false, steps, s -> f.apply(s).p99()));
    }

    private static SvgPlot.Series series(String name, String color, boolean dashed, List<StepFigures> steps,
                                         Function<StepFigures, Double> y) {
        List<double[]> points = new ArrayList<>();
        for (StepFigures s : steps) {
            Double v = y.apply(s);
            points.add(new double[] {s.offeredTasksPerSecond(), v == null ? Double.NaN : v});
        }
        return new SvgPlot.Series(name, color, dashed, points);
    }
}
