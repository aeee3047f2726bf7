package io.berth.loadtest.measure;

import io.berth.loadtest.generator.LoadGenerator.StepRun;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Every figure of one step, all latencies in milliseconds.
 *
 * @param orchestrationOverhead   {@code task.started} → {@code task.services.ready} (event times): the
 *                                whole start, the services' own launch→listen time included
 * @param overheadNet             the same minus the last-ready service's own launch→listen time, from the
 *                                listener's log (only when the agent's logs are readable here)
 * @param overheadNetAgentView    the same minus that service's launch→port-seen-open, from the agent's
 *                                {@code started_at_millis}/{@code port_open_at_millis} alone (subtracts the
 *                                port detection too, so it is a lower bound)
 * @param serviceStart            a service's own launch→listen (agent's launch stamp, listener's log)
 * @param readinessLag            listen (listener's log) → {@code service.ready} event
 * @param readinessLagAgentView   {@code port_open_at_millis} → {@code ready_at_millis} of {@code service.ready}
 * @param portDetection           listen (listener's log) → {@code port_open_at_millis}
 * @param dispatch              {@code task.started} → the first service launched ({@code started_at_millis}): Kafka
 *                              to the orchestrator, placement, gRPC to the agent, network namespace, spawn
 * @param aggregation           the last {@code service.ready} → {@code task.services.ready} (event times): Kafka to
 *                              the orchestrator and its answer
 * @param teardown                {@code task.ended} → {@code task.services.released} (event times)
 * @param serviceStop             per service, the agent's SIGTERM → exit ({@code service.stopped})
 * @param overloadedAfterSeconds when the generator stopped publishing because Berth fell too far behind
 *                               (more than three seconds of arrivals waiting), null if it kept up
 * @param unsent                 scheduled tasks not published because of that
 * @param observedReady           the generator's own clock: publish of {@code task.started} → the
 *                                {@code task.services.ready} record read (adds one consumer hop)
 * @param scheduleLag             how late the generator published against its schedule
 * @param cpu                   CPU time spent during the step (null when not measured)
 * @param backlogGrowthMs         median overhead of the last quarter of the step's tasks minus that of the
 *                                first quarter: near zero when the load is sustained, growing when it queues
 */
public record StepFigures(String name, double offeredTasksPerSecond, double durationSeconds, int servicesPerTask,
                          Double overloadedAfterSeconds, long unsent, int tasks, int ready, int failed, int released,
                          int tasksWithErrors, int killedServices,
                          List<String> errorSamples, double throughputTasksPerSecond, double releasesPerSecond,
                          Latency.Summary orchestrationOverhead, Latency.Summary overheadNet,
                          Latency.Summary overheadNetAgentView, Latency.Summary serviceStart,
                          Latency.Summary readinessLag, Latency.Summary readinessLagAgentView,
                          Latency.Summary portDetection, Latency.Summary dispatch, Latency.Summary aggregation,
                          Latency.Summary teardown, Latency.Summary serviceStop,
                          Latency.Summary observedReady, Latency.Summary scheduleLag, Double backlogGrowthMs,
                          CpuUse cpu, BrokerTraffic kafkaPerTask) {

    private static final int ERROR_SAMPLES = 10;

    public static StepFigures of(StepRun run, int servicesPerTask, CpuUse cpu, BrokerTraffic kafkaPerTask) {
        Latency overhead = new Latency();
        Latency net = new Latency();
        Latency netAgent = new Latency();
        Latency serviceStart = new Latency();
        Latency lag = new Latency();
        Latency lagAgent = new Latency();
        Latency detection = new Latency();
        Latency dispatch = new Latency();
        Latency aggregation = new Latency();
        Latency teardown = new Latency();
        Latency stop = new Latency();
        Latency observed = new Latency();
        Latency schedule = new Latency();
        int ready = 0;
        int failed = 0;
        int released = 0;
        int withErrors = 0;
        int killed = 0;
        Set<String> samples = new LinkedHashSet<>();
        long firstStarted = Long.MAX_VALUE;
        long lastReady = Long.MIN_VALUE;
        long lastReleased = Long.MIN_VALUE;
        List<long[]> overheadBySchedule = new ArrayList<>();

        for (TaskTrace t : run.tasks()) {
            if (t.sentNanos() >= 0) {
                schedule.record((t.sentNanos() - t.scheduledNanos()) / 1000);
            }
            if (t.startedMicros() >= 0) {
                firstStarted = Math.min(firstStarted, t.startedMicros());
            }
            if (!t.errors().isEmpty()) {
                withErrors++;
                for (String e : t.errors()) {
                    if (samples.size() < ERROR_SAMPLES) {
                        samples.add(e);
                    }
                }
            }
            if (t.isFailed()) {
                failed++;
            }
            var services = t.services();
            for (TaskTrace.ServiceTrace s : services.values()) {
                if (s.launchedAtMillis >= 0 && s.listenMicros >= 0) {
                    serviceStart.record(s.listenMicros - s.launchedAtMillis * 1000);
                    lag.record(s.readyEventMicros - s.listenMicros);
                    if (s.portOpenAtMillis >= 0) {
                        detection.record(s.portOpenAtMillis * 1000 - s.listenMicros);
                    }
                }
                if (s.portOpenAtMillis >= 0 && s.readyAtMillis >= 0) {
                    lagAgent.record((s.readyAtMillis - s.portOpenAtMillis) * 1000);
                }
                if (s.stopMillis >= 0) {
                    stop.record(s.stopMillis * 1000);
                }
                if ("SIGKILL".equals(s.stopSignal)) {
                    killed++;
                }
            }
            if (t.isReady() && !t.isFailed()) {
                ready++;
                long raw = t.readyMicros() - t.startedMicros();
                overhead.record(raw);
                overheadBySchedule.add(new long[] {t.scheduledNanos(), raw});
                lastReady = Math.max(lastReady, t.readyMicros());
                observed.record((t.readyReceivedNanos() - t.sentNanos()) / 1000);
                services.values().stream().filter(s -> s.launchedAtMillis >= 0)
                        .mapToLong(s -> s.launchedAtMillis).min()
                        .ifPresent(first -> dispatch.record(first * 1000 - t.startedMicros()));
                services.values().stream()
                        .filter(s -> s.readyEventMicros >= 0)
                        .max(Comparator.comparingLong(s -> s.readyEventMicros))
                        .ifPresent(last -> {
                            aggregation.record(t.readyMicros() - last.readyEventMicros);
                            if (last.listenMicros >= 0) {
                                net.record(raw - (last.listenMicros - last.launchedAtMillis * 1000));
                            }
                            if (last.portOpenAtMillis >= 0) {
                                netAgent.record(raw - (last.portOpenAtMillis - last.launchedAtMillis) * 1000);
                            }
                        });
            }
            if (t.isReleased()) {
                released++;
                lastReleased = Math.max(lastReleased, t.releasedMicros());
                if (t.isEnded()) {
                    teardown.record(t.releasedMicros() - t.endedMicros());
                }
            }
        }
        double readySpan = (lastReady - firstStarted) / 1e6;
        double releaseSpan = (lastReleased - firstStarted) / 1e6;
        return new StepFigures(run.step().name(), run.step().ratePerSecond(), run.step().duration().toMillis() / 1000.0,
                servicesPerTask, run.overloadedAfterNanos() < 0 ? null : round2(run.overloadedAfterNanos() / 1e9),
                run.unsent(), run.tasks().size(), ready, failed, released, withErrors, killed,
                List.copyOf(samples), ready > 0 && readySpan > 0 ? round2(ready / readySpan) : 0,
                released > 0 && releaseSpan > 0 ? round2(released / releaseSpan) : 0,
                overhead.summary(), net.summary(), netAgent.summary(), serviceStart.summary(), lag.summary(),
                lagAgent.summary(), detection.summary(), dispatch.summary(), aggregation.summary(), teardown.summary(),
                stop.summary(), observed.summary(),
                schedule.summary(), backlogGrowth(overheadBySchedule), cpu, kafkaPerTask);
    }

    /** Zero errors, every task ready and released, the offered rate achieved, no queue building up. */
    public boolean sustained() {
        return overloadedAfterSeconds == null && tasksWithErrors == 0 && ready == tasks && released == tasks
                && throughputTasksPerSecond >= 0.97 * offeredTasksPerSecond
                && backlogGrowthMs != null && backlogGrowthMs < 10;
    }

    private static Double backlogGrowth(List<long[]> bySchedule) {
        if (bySchedule.size() < 8) {
            return null;
        }
        bySchedule.sort(Comparator.comparingLong(a -> a[0]));
        int quarter = bySchedule.size() / 4;
        long first = median(bySchedule.subList(0, quarter));
        long last = median(bySchedule.subList(bySchedule.size() - quarter, bySchedule.size()));
        return (last - first) / 1000.0;
    }

    private static long median(List<long[]> values) {
        long[] v = values.stream().mapToLong(a -> a[1]).sorted().toArray();
        return v[v.length / 2];
    }

    private static double round2(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
