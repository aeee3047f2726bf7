package io.berth.events.payload;

import java.util.List;

/** {@code berth.service.failed.v1}: the service could not be started or never became ready. */
public record ServiceFailed(String taskId, String service, String worker, long generation, String reason,
                            List<String> logTail) {
    public ServiceFailed {
        logTail = logTail == null ? List.of() : List.copyOf(logTail);
    }
}
