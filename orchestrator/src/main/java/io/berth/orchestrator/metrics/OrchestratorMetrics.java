package io.berth.orchestrator.metrics;

import io.berth.events.EventTypes;
import io.berth.orchestrator.gateway.WorkerInfo;
import io.berth.orchestrator.ingress.DeadLetter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
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
import java.util.Map;
import java.util.function.Supplier;

/**
 * The orchestrator's meters. Prometheus names (base units, no task ids in labels):
 * <ul>
 *   <li>{@code berth_events_in_total{type}}, {@code berth_events_out_total{type}},
 *       {@code berth_dead_letters_total{reason}} — every known type and reason is there from the start, at 0;</li>
 *   <li>{@code berth_task_ready_seconds} (histogram): {@code task.started} received → {@code services.ready}
 *       published; {@code berth_task_release_seconds}: {@code task.ended} received → {@code released} published;</li>
 *   <li>{@code berth_task_failures_total{reason}}: tasks whose services failed, by {@link FailureReason};</li>
 *   <li>{@code berth_service_readiness_lag_seconds} (histogram): a service's port open → its probe succeeded;
 *       {@code berth_service_probe_attempts}: counted probe attempts until ready;
 *       {@code berth_service_stops_total{worker,signal}}: services stopped, {@code signal="SIGKILL"} when the grace
 *       period ran out;</li>
 *   <li>{@code berth_agents_connected}, {@code berth_tasks_active}, {@code berth_agent_reconnects_total};
 *       per worker: {@code berth_worker_connected}, {@code berth_worker_draining}, {@code berth_worker_capacity},
 *       {@code berth_worker_services_active}, {@code berth_worker_tasks_active};</li>
 *   <li>the JVM's ({@code jvm_*}, {@code process_*}, {@code system_*}) and {@code berth_ingress_records_lag}.</li>
 * </ul>
 */
public final class OrchestratorMetrics {
    /** Low-cardinality causes of {@code task.services.failed}. */
    public enum FailureReason {
        SERVICE_FAILED, SERVICE_EXITED, SERVICE_STOPPED, NO_WORKER, START_REJECTED, WORKER_LOST;

        public String label() {
            return name().toLowerCase().replace('_', '-');
        }
    }

    /** Signals a service stop ends with. */
    public static final List<String> STOP_SIGNALS = List.of("SIGTERM", "SIGKILL", "none");

    /** A signal name as a label: a container's own stop signal (SIGINT…) counts under its name; a signal's
     *  name is one of a few dozen, anything else is "none". */
    private static String signalLabel(String signal) {
        return signal != null && signal.matches("SIG[A-Z][A-Z0-9]*") ? signal : "none";
    }

    /**
     * Drops the two JVM meters whose Prometheus names break its naming rules ({@code system_cpu_count} is not a
     * count of events, {@code process_cpu_time_ns_total} has an abbreviated unit), so {@code promtool check
     * metrics} passes; {@code process_cpu_usage} and {@code system_cpu_usage} remain.
     */
    public static final MeterFilter PROMETHEUS_LINT = MeterFilter.deny(id ->
            id.getName().equals("system.cpu.count") || id.getName().equals("process.cpu.time"));

    private final MeterRegistry registry;
    private final Timer readyTimer;
    private final Timer releaseTimer;
    private final Timer readinessLag;
    private final DistributionSummary probeAttempts;
    private final WorkerGauges workerGauges;

    public OrchestratorMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.readyTimer = latency("berth.task.ready", "task.started received to task.services.ready published");
        this.releaseTimer = latency("berth.task.release", "task.ended received to task.services.released published");
        this.readinessLag = latency("berth.service.readiness.lag",
                "a service's ports first seen open to its startup probe succeeding");
        this.probeAttempts = DistributionSummary.builder("berth.service.probe.attempts")
                .description("counted startup probe attempts of a service until it was ready")
                .serviceLevelObjectives(1, 2, 3, 5, 10, 20, 50)
                .register(registry);
        workerGauges = new WorkerGauges(registry, this::workerSeen);
        EventTypes.ALL.forEach(type -> {
            if (!EventTypes.TASK_OUTPUT.contains(type)) {
                inCounter(type);
            } else {
                outCounter(type);
            }
        });
        for (DeadLetter.Reason reason : DeadLetter.Reason.values()) {
            deadLetterCounter(reason);
        }
        for (FailureReason reason : FailureReason.values()) {
            failureCounter(reason);
        }
    }

    private Timer latency(String name, String description) {
        return Timer.builder(name)
                .description(description)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(5))
                .register(registry);
    }

    /** A Prometheus registry with the JVM's meters bound. */
    public static PrometheusMeterRegistry prometheus() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().meterFilter(PROMETHEUS_LINT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        return registry;
    }

    public MeterRegistry registry() {
        return registry;
    }

    public void eventIn(String type) {
        inCounter(type).increment();
    }

    public void eventOut(String type) {
        outCounter(type).increment();
    }

    public void deadLetter(DeadLetter.Reason reason) {
        deadLetterCounter(reason).increment();
    }

    public void taskReady(long startedAtNanos) {
        readyTimer.record(Duration.ofNanos(System.nanoTime() - startedAtNanos));
    }

    public void taskReleased(long endedAtNanos) {
        releaseTimer.record(Duration.ofNanos(System.nanoTime() - endedAtNanos));
    }

    public void taskFailed(FailureReason reason) {
        failureCounter(reason).increment();
    }

    /** A service became ready: its readiness lag (when its ports were watched) and its probe attempts. */
    public void serviceReady(Long portOpenAtMillis, long readyAtMillis, int attempts) {
        if (portOpenAtMillis != null) {
            readinessLag.record(Duration.ofMillis(Math.max(0, readyAtMillis - portOpenAtMillis)));
        }
        probeAttempts.record(Math.max(1, attempts));
    }

    public void serviceStopped(String worker, String signal) {
        stopCounter(worker, signalLabel(signal)).increment();
    }

    public Timer readyTimer() {
        return readyTimer;
    }

    /** Registers gauges read from the orchestrator's state (suppliers must be cheap and thread-safe). */
    public void gauges(Supplier<Number> agentsConnected, Supplier<Number> tasksActive, Supplier<Number> reconnects) {
        Gauge.builder("berth.agents.connected", agentsConnected)
                .description("worker agents with an open stream").register(registry);
        Gauge.builder("berth.tasks.active", tasksActive)
                .description("tasks placing, starting, holding or stopping services").register(registry);
        FunctionCounter.builder("berth.agent.reconnects", reconnects, s -> s.get().doubleValue())
                .description("known workers whose agent connected again after its stream broke").register(registry);
    }

    /**
     * {@code berth_ingress_records_lag}: the largest number of records the orchestrator's consumer is behind on any
     * of its partitions (Kafka's {@code records-lag-max}), 0 when it has nothing to say.
     */
    public void consumerLag(Supplier<Double> recordsLagMax) {
        Gauge.builder("berth.ingress.records.lag", () -> {
            Double lag = recordsLagMax.get();
            return lag == null || lag.isNaN() || lag.isInfinite() || lag < 0 ? 0 : lag;
        }).description("records the orchestrator's consumer is behind, on its most lagging partition")
                .register(registry);
    }

    /**
     * Updates the per-worker gauges (registered once per worker, read on scrape); workers no longer known disappear.
     * A newly seen worker's stop counters start at 0.
     */
    public void workers(List<WorkerInfo> workers, Map<String, Integer> tasksByWorker) {
        workerGauges.update(workers, tasksByWorker);
    }

    /** Registers the per-worker counters of a newly seen worker at 0, so their rates start there. */
    private void workerSeen(String worker) {
        STOP_SIGNALS.forEach(signal -> stopCounter(worker, signal));
    }

    private Counter inCounter(String type) {
        return Counter.builder("berth.events.in").tag("type", type)
                .description("valid events consumed, by type").register(registry);
    }

    private Counter outCounter(String type) {
        return Counter.builder("berth.events.out").tag("type", type)
                .description("events published (acknowledged by Kafka), by type").register(registry);
    }

    private Counter deadLetterCounter(DeadLetter.Reason reason) {
        return Counter.builder("berth.dead.letters").tag("reason", reason.code())
                .description("input records rejected to the dead-letter topic, by reason").register(registry);
    }

    private Counter failureCounter(FailureReason reason) {
        return Counter.builder("berth.task.failures").tag("reason", reason.label())
                .description("tasks whose services failed (task.services.failed published), by cause")
                .register(registry);
    }

    private Counter stopCounter(String worker, String signal) {
        return Counter.builder("berth.service.stops").tags("worker", worker, "signal", signal)
                .description("services stopped, by worker and the signal that ended them (SIGKILL: grace ran out)")
                .register(registry);
    }
}
