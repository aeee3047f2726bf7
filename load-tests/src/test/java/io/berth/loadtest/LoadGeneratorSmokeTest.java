package io.berth.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.loadtest.generator.BenchService;
import io.berth.loadtest.generator.LoadGenerator;
import io.berth.loadtest.generator.Workload;
import io.berth.loadtest.measure.BrokerTraffic;
import io.berth.loadtest.measure.ServiceStamps;
import io.berth.loadtest.measure.StepFigures;
import io.berth.loadtest.report.Report;
import io.berth.loadtest.report.ReportFiles;
import io.berth.loadtest.report.Targets;
import io.berth.loadtest.stack.EmbeddedBenchStack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keeps the benchmark from rotting: a few seconds of load at a low rate against the real embedded
 * stack (Kafka, orchestrator, agent, real listener processes), and a report written from it. The full
 * sweep and the peer run only through load-tests/run.
 */
class LoadGeneratorSmokeTest {
    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void lowRateForAFewSeconds_everyTaskReadyAndReleased_noErrors_reportWritten(@TempDir Path out) throws Exception {
        var workload = new Workload(BenchService.LISTENER, 2, Duration.ofMillis(200), ROOT ? null : "host",
                Duration.ofSeconds(20), Duration.ofSeconds(20));
        StepFigures figures;
        try (var stack = EmbeddedBenchStack.start();
             var generator = new LoadGenerator(stack.bootstrapServers(), workload)) {
            BrokerTraffic.Reading before = BrokerTraffic.read();
            var run = generator.run(new LoadGenerator.Step("smoke", 5, Duration.ofSeconds(3)));
            BrokerTraffic traffic = BrokerTraffic.between(before, BrokerTraffic.read(), run.tasks().size());
            int stamps = ServiceStamps.read(stack.agentStateDir().orElseThrow(), run.tasks());
            figures = StepFigures.of(run, 2, null, traffic);
            assertThat(stamps).as("listener log lines read back").isEqualTo(2 * run.tasks().size());
        }

        assertThat(figures.tasksWithErrors()).as("errors: %s", figures.errorSamples()).isZero();
        assertThat(figures.tasks()).isEqualTo(15);
        assertThat(figures.ready()).isEqualTo(15);
        assertThat(figures.released()).isEqualTo(15);
        assertThat(figures.orchestrationOverhead().count()).isEqualTo(15);
        assertThat(figures.orchestrationOverhead().p50()).isPositive();
        assertThat(figures.overheadNet().count()).isEqualTo(15);
        assertThat(figures.readinessLag().count()).isEqualTo(30);
        assertThat(figures.teardown().count()).isEqualTo(15);
        assertThat(figures.serviceStop().count()).isEqualTo(30);
        assertThat(figures.killedServices()).as("the listener exits on SIGTERM").isZero();
        // each task is one task.started and one task.ended, each sent once: the broker's own count says so
        assertThat(figures.kafkaPerTask().records()).containsEntry("berth.task-events", 2.0);
        assertThat(figures.kafkaPerTask().requests()).containsKeys("Produce", "Fetch");

        var report = new Report("now", new Report.Machine(2, "os", "java", "0 0 0", "0 0 0", 0),
                new Report.Parameters(List.of(5.0), 3, 0, 0, -1, 2, "listener", 200, null, null, ""), "embedded",
                null, null, List.of(figures), Targets.check(List.of(figures), null), null, List.of(), null);
        Path dir = ReportFiles.write(out, "smoke", report);
        assertThat(Files.readString(dir.resolve(ReportFiles.JSON))).contains("\"orchestration_overhead\"");
        assertThat(out.resolve("latest").resolve(ReportFiles.PLOT)).exists();
    }
}
