package io.berth.agent.metrics;

import io.berth.agent.supervisor.ServiceEvents;
import io.berth.events.payload.ServiceEvent;
import io.berth.events.payload.ServiceExited;
import io.berth.events.payload.ServiceFailed;
import io.berth.events.payload.ServiceProbe;
import io.berth.events.payload.ServiceReady;
import io.berth.events.payload.ServiceStarting;
import io.berth.events.payload.ServiceStopped;
import io.vertx.core.Future;

import java.util.HashMap;
import java.util.Map;

/** Counts a task's service lifecycle into {@link AgentMetrics}, then passes every event on. */
public final class MeteredServiceEvents implements ServiceEvents {
    private final ServiceEvents delegate;
    private final AgentMetrics metrics;
    /**
     * Counted failed probe attempts per service of a task, until it is ready (one attempt more) or failed; the
     * supervisor calls us on one context only.
     */
    private final Map<String, Integer> failures = new HashMap<>();

    public MeteredServiceEvents(ServiceEvents delegate, AgentMetrics metrics) {
        this.delegate = delegate;
        this.metrics = metrics;
    }

    @Override
    public Future<Void> emit(ServiceEvent event) {
        if (event instanceof ServiceStarting) {
            metrics.started();
        } else if (event instanceof ServiceProbe p) {
            if (!p.succeeded()) {
                failures.merge(key(p), p.attempt(), Math::max);
            }
        } else if (event instanceof ServiceReady r) {
            metrics.ready(r.portOpenAtMillis(), r.readyAtMillis());
            Integer failed = failures.remove(key(r));
            metrics.probeAttempts(failed == null ? 1 : failed + 1);
        } else if (event instanceof ServiceFailed f) {
            metrics.failed();
            Integer counted = failures.remove(key(f));
            if (counted != null) {
                metrics.probeAttempts(counted);
            }
        } else if (event instanceof ServiceExited) {
            metrics.exited();
        } else if (event instanceof ServiceStopped s) {
            metrics.stopped(s.signal());
        }
        return delegate.emit(event);
    }

    private static String key(ServiceEvent event) {
        return event.taskId() + '\n' + event.service(); // tasks share service names
    }
}
