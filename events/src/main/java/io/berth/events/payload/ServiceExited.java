package io.berth.events.payload;

import java.util.List;
import java.util.function.UnaryOperator;

/** {@code berth.service.exited.v1}: the service exited on its own while its task still ran. */
public record ServiceExited(String taskId, String service, String worker, long generation, int exitCode,
                            List<String> logTail) implements ServiceEvent {
    public ServiceExited {
        logTail = logTail == null ? List.of() : List.copyOf(logTail);
    }

    @Override
    public ServiceExited mapText(UnaryOperator<String> f) {
        return new ServiceExited(taskId, service, worker, generation, exitCode, logTail.stream().map(f).toList());
    }
}
