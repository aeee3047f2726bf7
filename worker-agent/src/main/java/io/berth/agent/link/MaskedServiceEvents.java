package io.berth.agent.link;

import io.berth.agent.logs.ServiceSecrets;
import io.berth.agent.supervisor.ServiceEvents;
import io.berth.events.payload.NetworkSpec;
import java.util.List;
import java.util.Map;

/** Masks a service's secret params in the log tails and reasons its events carry, then passes them on. */
final class MaskedServiceEvents implements ServiceEvents {
    private final ServiceEvents delegate;
    private final ServiceSecrets secrets;
    private final String taskId;

    MaskedServiceEvents(ServiceEvents delegate, ServiceSecrets secrets, String taskId) {
        this.delegate = delegate;
        this.secrets = secrets;
        this.taskId = taskId;
    }

    @Override
    public void starting(String service, long pid) {
        delegate.starting(service, pid);
    }

    @Override
    public void probe(String service, int attempt, String result, String message) {
        delegate.probe(service, attempt, result, secrets.mask(taskId, service, message));
    }

    @Override
    public void ready(String service, NetworkSpec network, String host, Map<String, Integer> ports,
                      long startedAtMillis, Long portOpenAtMillis, long readyAtMillis) {
        delegate.ready(service, network, host, ports, startedAtMillis, portOpenAtMillis, readyAtMillis);
    }

    @Override
    public void failed(String service, String reason, List<String> logTail) {
        delegate.failed(service, secrets.mask(taskId, service, reason), mask(service, logTail));
    }

    @Override
    public void exited(String service, int exitCode, List<String> logTail) {
        delegate.exited(service, exitCode, mask(service, logTail));
    }

    @Override
    public io.vertx.core.Future<Void> stopped(String service, String signal, long durationMillis, Integer exitCode) {
        return delegate.stopped(service, signal, durationMillis, exitCode);
    }

    private List<String> mask(String service, List<String> lines) {
        if (lines == null || secrets.of(taskId, service).isEmpty()) {
            return lines;
        }
        return lines.stream().map(line -> secrets.mask(taskId, service, line)).toList();
    }
}
