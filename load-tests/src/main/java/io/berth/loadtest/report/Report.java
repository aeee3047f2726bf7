package io.berth.loadtest.report;

import io.berth.loadtest.measure.Latency;
import io.berth.loadtest.measure.StepFigures;
import io.berth.loadtest.peer.PeerReport;
import io.berth.loadtest.scale.ScaleFigures;
import java.util.List;

/**
 * Everything one run measured, and how it was run. Written as report.json.
 *
 * @param scale the scale-out run's own figures (simulated agents, separate orchestrator processes); null for the
 *              single-agent benchmark
 */
public record Report(String generatedAt, Machine machine, Parameters parameters, String stack,
                     Latency.Summary listenerBaseline, StepFigures warmup, List<StepFigures> steps,
                     List<Targets.Check> targets, PeerReport peer, List<String> notes, ScaleFigures scale) {

    /**
     * @param otherCpuBusyPercent how busy the CPUs were with other work just before the run (1 s sample of
     *                            /proc/stat while the generator was idle): the noise under the figures
     */
    public record Machine(int cores, String os, String java, String loadAverageBefore, String loadAverageAfter,
                          double otherCpuBusyPercent) {}

    /** @param warmupJitSeconds CPU the JIT compilers used in the warm-up (a fresh JVM's one-time cost); -1: not measured */
    public record Parameters(List<Double> ratesPerSecond, double stepSeconds, double warmupRatePerSecond,
                             double warmupSeconds, double warmupJitSeconds, int servicesPerTask, String service,
                             long holdMillis, String network, String bootstrap, String jvmOptions) {}
}
