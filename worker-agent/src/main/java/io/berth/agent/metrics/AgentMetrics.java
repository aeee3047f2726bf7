package io.berth.agent.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * The agent's meters, every one tagged with its {@code worker}. Prometheus names:
 * {@code berth_agent_capacity}, {@code berth_agent_services_active}, {@code berth_agent_tasks_active},
 * {@code berth_agent_link_reconnects_total}, {@code berth_agent_services_started_total},
 * {@code berth_agent_service_failures_total}, {@code berth_agent_service_exits_total},
 * {@code berth_agent_service_stops_total{signal}} (SIGTERM, SIGKILL, none),
 * {@code berth_agent_readiness_lag_seconds} (port open → ready), {@code berth_agent_probe_attempts},
 * {@code berth_agent_log_rotations_total}, plus the JVM's ({@code jvm_*}, {@code process_*}, {@code system_*}).
 */
public final class AgentMetrics {
    /** The signals a stop can end with; registered up front so rates start from zero. */
    public static final List<String> STOP_SIGNALS = List.of("SIGTERM", "SIGKILL", "none");

    /** A signal name as a label: a container's own stop signal (SIGINT…) counts under its name; a signal's
     *  name is one of a few dozen, anything else is "none". */
    private static String signalLabel(String signal) {
        return signal != null && signal.matches("SIG[A-Z][A-Z0-9]*") ? signal : "none";
    }

    private final PrometheusMeterRegistry registry;
    private final Counter started;
    private final Counter failures;
    private final Counter exits;
    private final Counter rotations;
    private final Timer readinessLag;
    private final DistributionSummary probeAttempts;

    public AgentMetrics(String worker) {
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().commonTags("worker", worker);
        // system_cpu_count and process_cpu_time_ns_total break Prometheus naming rules (promtool check metrics)
        registry.config().meterFilter(MeterFilter.deny(id ->
                id.getName().equals("system.cpu.count") || id.getName().equals("process.cpu.time")));
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        started = Counter.builder("berth.agent.services.started").description("services launched").register(registry);
        failures = Counter.builder("berth.agent.service.failures")
                .description("services that could not be launched or never became ready").register(registry);
        exits = Counter.builder("berth.agent.service.exits")
                .description("services that exited by themselves after they were ready").register(registry);
        rotations = Counter.builder("berth.agent.log.rotations")
                .description("service logs rotated by the size cap").register(registry);
        STOP_SIGNALS.forEach(this::stopCounter);
        readinessLag = Timer.builder("berth.agent.readiness.lag")
                .description("a service's ports first seen listening to its startup probe succeeding")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(5))
                .register(registry);
        probeAttempts = DistributionSummary.builder("berth.agent.probe.attempts")
                .description("counted startup probe attempts of a service until it was ready or failed")
                .serviceLevelObjectives(1, 2, 3, 5, 10, 20, 50)
                .register(registry);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Gauges read from the agent's state; the suppliers must be cheap and thread-safe. */
    public void gauges(int capacity, Supplier<Number> activeServices, Supplier<Number> activeTasks,
                       Supplier<Number> linkReconnects) {
        Gauge.builder("berth.agent.capacity", () -> capacity)
                .description("services this worker runs at most (0: unlimited)").register(registry);
        Gauge.builder("berth.agent.services.active", activeServices)
                .description("services starting, running or being stopped").register(registry);
        Gauge.builder("berth.agent.tasks.active", activeTasks)
                .description("tasks with services on this worker").register(registry);
        FunctionCounter.builder("berth.agent.link.reconnects", linkReconnects, s -> s.get().doubleValue())
                .description("times the stream to the orchestrator broke and was redialled").register(registry);
    }

    void started() {
        started.increment();
    }

    void failed() {
        failures.increment();
    }

    void exited() {
        exits.increment();
    }

    void stopped(String signal) {
        stopCounter(signalLabel(signal)).increment();
    }

    void ready(Long portOpenAtMillis, long readyAtMillis) {
        if (portOpenAtMillis != null) {
            readinessLag.record(Duration.ofMillis(Math.max(0, readyAtMillis - portOpenAtMillis)));
        }
    }

    void probeAttempts(int attempts) {
        probeAttempts.record(attempts);
    }

    public void logsRotated(int count) {
        if (count > 0) {
            rotations.increment(count);
        }
    }

    private Counter stopCounter(String signal) {
        return Counter.builder("berth.agent.service.stops").tags(Tags.of("signal", signal))
                .description("services stopped, by the signal that ended them (SIGKILL: the grace period ran out)")
                .register(registry);
    }
}
