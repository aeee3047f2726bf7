package io.berth.events.payload;

import java.util.List;

/** {@code berth.task.services.failed.v1}: a service failed; the task must not run. */
public record TaskServicesFailed(String taskId, String worker, String service, String reason,
                                 List<String> logTail) {
    public TaskServicesFailed {
        logTail = logTail == null ? List.of() : List.copyOf(logTail);
    }
}
