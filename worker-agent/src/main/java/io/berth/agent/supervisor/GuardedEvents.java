package io.berth.agent.supervisor;

import io.berth.events.payload.NetworkSpec;

import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Map;

/**
 * Shields the lifecycle from its listener: an event that cannot be published (a closed producer, a
 * bug in a publisher) is logged, and the service's start, probe and termination carry on.
 */
final class GuardedEvents implements ServiceEvents {
    private static final System.Logger LOG = System.getLogger(GuardedEvents.class.getName());

    private final String taskId;
    private final ServiceEvents delegate;

    GuardedEvents(String taskId, ServiceEvents delegate) {
        this.taskId = taskId;
        this.delegate = delegate == null ? ServiceEvents.NONE : delegate;
    }

    private void guard(String event, String service, Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "task " + taskId + " service " + service + ": the " + event
                    + " event listener failed", e);
        }
    }

    @Override
    public void starting(String service, long pid) {
        guard("starting", service, () -> delegate.starting(service, pid));
    }

    @Override
    public void probe(String service, int attempt, String result, String message) {
        guard("probe", service, () -> delegate.probe(service, attempt, result, message));
    }

    @Override
    public void ready(String service, NetworkSpec network, String host, Map<String, Integer> ports,
                      long startedAtMillis, Long portOpenAtMillis, long readyAtMillis) {
        guard("ready", service, () -> delegate.ready(service, network, host, ports, startedAtMillis, portOpenAtMillis,
                readyAtMillis));
    }

    @Override
    public void failed(String service, String reason, List<String> logTail) {
        guard("failed", service, () -> delegate.failed(service, reason, logTail));
    }

    @Override
    public void exited(String service, int exitCode, List<String> logTail) {
        guard("exited", service, () -> delegate.exited(service, exitCode, logTail));
    }

    @Override
    public io.vertx.core.Future<Void> stopped(String service, String signal, long durationMillis, Integer exitCode) {
        try {
            return delegate.stopped(service, signal, durationMillis, exitCode).recover(e -> {
                LOG.log(Level.ERROR, "task " + taskId + " service " + service + ": the stopped event was not "
                        + "published: " + e.getMessage());
                return io.vertx.core.Future.succeededFuture();
            });
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "task " + taskId + " service " + service + ": the stopped event failed", e);
            return io.vertx.core.Future.succeededFuture();
        }
    }
}
