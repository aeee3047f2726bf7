package io.berth.agent.metrics;

import io.berth.agent.supervisor.ServiceEvents;
import io.berth.events.payload.NetworkSpec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Counts a task's service lifecycle into {@link AgentMetrics}, then passes every event on. */
public final class MeteredServiceEvents implements ServiceEvents {
    private final ServiceEvents delegate;
    private final AgentMetrics metrics;
    /** Highest counted probe attempt per service; the supervisor calls us on one context only. */
    private final Map<String, Integer> attempts = new HashMap<>();

    public MeteredServiceEvents(ServiceEvents delegate, AgentMetrics metrics) {
        this.delegate = delegate;
        this.metrics = metrics;
    }

    @Override
    public void starting(String service, long pid) {
        metrics.started();
        delegate.starting(service, pid);
    }

    @Override
    public void probe(String service, int attempt, String result, String message) {
        attempts.merge(service, attempt, Math::max);
        delegate.probe(service, attempt, result, message);
    }

    @Override
    public void ready(String service, NetworkSpec network, String host, Map<String, Integer> ports,
                      long startedAtMillis, Long portOpenAtMillis, long readyAtMillis) {
        metrics.ready(portOpenAtMillis, readyAtMillis);
        metrics.probeAttempts(attempts.getOrDefault(service, 1));
        delegate.ready(service, network, host, ports, startedAtMillis, portOpenAtMillis, readyAtMillis);
    }

    @Override
    public void failed(String service, String reason, List<String> logTail) {
        metrics.failed();
        Integer counted = attempts.get(service);
        if (counted != null) {
            metrics.probeAttempts(counted);
        }
        delegate.failed(service, reason, logTail);
    }

    @Override
    public void exited(String service, int exitCode, List<String> logTail) {
        metrics.exited();
        delegate.exited(service, exitCode, logTail);
    }

    @Override
    public io.vertx.core.Future<Void> stopped(String service, String signal, long durationMillis, Integer exitCode) {
        metrics.stopped(signal);
        return delegate.stopped(service, signal, durationMillis, exitCode);
    }
}
