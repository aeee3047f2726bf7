package io.berth.events.payload;

import java.util.List;
import java.util.function.UnaryOperator;

/** {@code berth.service.failed.v1}: the service could not be started or never became ready. */
public record ServiceFailed(String taskId, String service, String worker, long generation, String reason,
                            List<String> logTail) implements ServiceEvent {
    public ServiceFailed {
        logTail = logTail == null ? List.of() : List.copyOf(logTail);
    }

    @Override
    public ServiceFailed mapText(UnaryOperator<String> f) {
        return new ServiceFailed(taskId, service, worker, generation, reason == null ? null : f.apply(reason),
                logTail.stream().map(f).toList());
    }
}
