package io.berth.agent.supervisor;

import io.berth.agent.probe.ProbeRunner;
import io.berth.agent.runtime.ServiceProcess;
import io.berth.events.config.PortSpec;
import io.berth.events.payload.NetworkSpec;
import io.berth.events.payload.ServiceEvent;
import io.berth.events.payload.ServiceExited;
import io.berth.events.payload.ServiceFailed;
import io.berth.events.payload.ServiceProbe;
import io.berth.events.payload.ServiceReady;
import io.berth.events.payload.ServiceStarting;
import io.berth.events.payload.ServiceStopped;
import io.berth.events.payload.TaskServicesReleased.ServiceRelease;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What is said about one service of a task: each event built on its payload record with the service's identity
 * (task, name, worker, generation), a failure or an exit with the last lines of its log (read off the event loop),
 * and the last outcome kept to say again. {@link ServiceRun} decides when; this says it. Confined to the supervisor's
 * context.
 */
final class ServiceReports {
    static final int LOG_TAIL_LINES = 40;

    private final Context context;
    private final ServiceEvents events;
    private final String taskId;
    private final String name;
    private final String worker;
    private final long generation;
    /** The last outcome reported (ready, failed, exited), to say again when the orchestrator sends the start again. */
    private ServiceEvent lastOutcome;

    ServiceReports(Context context, ServiceEvents events, String taskId, String name, String worker, long generation) {
        this.context = context;
        this.events = events;
        this.taskId = taskId;
        this.name = name;
        this.worker = worker;
        this.generation = generation;
    }

    void starting(long pid) {
        events.emit(new ServiceStarting(taskId, name, worker, generation, pid));
    }

    /**
     * Reports each counted attempt of the startup probe that did not succeed: the one that succeeds is the service's
     * {@code service.ready} (one event less per service on the common path, for the agent, Kafka and the orchestrator).
     */
    ProbeRunner.Listener probes() {
        return (attempt, r) -> {
            if (!r.isSuccess()) {
                events.emit(new ServiceProbe(taskId, name, worker, generation, attempt, r.status().wireName(),
                        r.message()));
            }
        };
    }

    /** @param portOpenAtMillis null when its ports were not watched (a re-attached service) */
    void ready(NetworkSpec network, String host, List<PortSpec> ports, long startedAtMillis, Long portOpenAtMillis,
               long readyAtMillis) {
        outcome(new ServiceReady(taskId, name, worker, generation, network, host, portMap(ports), startedAtMillis,
                portOpenAtMillis, readyAtMillis));
    }

    /** A failure before anything of the service ran: no log to quote. */
    void failed(String reason) {
        outcome(new ServiceFailed(taskId, name, worker, generation, reason, List.of()));
    }

    /** A failure of a service that ran, with the last lines of its log. */
    void failed(String reason, ServiceProcess process) {
        tail(process).onSuccess(t -> outcome(new ServiceFailed(taskId, name, worker, generation, reason, t)));
    }

    /** A ready service ended by itself. */
    void exited(int code, ServiceProcess process) {
        tail(process).onSuccess(t -> outcome(new ServiceExited(taskId, name, worker, generation, code, t)));
    }

    /** Says the last outcome again, if there was one. */
    void outcomeAgain() {
        if (lastOutcome != null) {
            events.emit(lastOutcome);
        }
    }

    /** Completes once the report is durable. */
    Future<Void> stopped(ServiceRelease release) {
        return events.emit(new ServiceStopped(taskId, name, worker, generation, release.signal(),
                release.durationMillis(), release.exitCode()));
    }

    private void outcome(ServiceEvent outcome) {
        lastOutcome = outcome;
        events.emit(outcome);
    }

    private Future<List<String>> tail(ServiceProcess process) {
        return context.executeBlocking(() -> process.launched().log().tail(LOG_TAIL_LINES), false)
                .otherwise(List.of()); // an unreadable log does not keep the outcome from being reported
    }

    /** Port name → number, as a ready event lists them. */
    static Map<String, Integer> portMap(List<PortSpec> ports) {
        Map<String, Integer> m = new LinkedHashMap<>();
        ports.forEach(p -> m.put(p.name(), p.number()));
        return m;
    }
}
