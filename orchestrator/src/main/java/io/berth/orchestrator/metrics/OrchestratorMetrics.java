package io.berth.orchestrator.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * The orchestrator's meters: events in and out by type, dead letters by reason, and the time from
 * {@code task.started} received to {@code task.services.ready} published. Prometheus names:
 * {@code berth_events_in_total{type}}, {@code berth_events_out_total{type}},
 * {@code berth_dead_letters_total{reason}}, {@code berth_task_ready_seconds}, {@code berth_agents_connected},
 * {@code berth_tasks_active}.
 */
public final class OrchestratorMetrics {
    private final MeterRegistry registry;
    private final Timer readyTimer;

    public OrchestratorMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.readyTimer = Timer.builder("berth.task.ready")
                .description("task.started received to task.services.ready published")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(5))
                .register(registry);
    }

    public static PrometheusMeterRegistry prometheus() {
        return new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    }

    public MeterRegistry registry() {
        return registry;
    }

    public void eventIn(String type) {
        Counter.builder("berth.events.in").tag("type", type).register(registry).increment();
    }

    public void eventOut(String type) {
        Counter.builder("berth.events.out").tag("type", type).register(registry).increment();
    }

    public void deadLetter(String reason) {
        Counter.builder("berth.dead.letters").tag("reason", reason).register(registry).increment();
    }

    public void taskReady(long startedAtNanos) {
        readyTimer.record(Duration.ofNanos(System.nanoTime() - startedAtNanos));
    }

    public Timer readyTimer() {
        return readyTimer;
    }

    /** Registers gauges read from the orchestrator's state (suppliers must be cheap and thread-safe). */
    public void gauges(Supplier<Number> agentsConnected, Supplier<Number> tasksActive) {
        Gauge.builder("berth.agents.connected", agentsConnected).register(registry);
        Gauge.builder("berth.tasks.active", tasksActive).register(registry);
    }
}
