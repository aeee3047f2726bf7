package io.berth.events.payload;

import java.util.List;

/** {@code berth.service.exited.v1}: the service exited on its own while its task still ran. */
public record ServiceExited(String taskId, String service, String worker, long generation, int exitCode,
                            List<String> logTail) {
    public ServiceExited {
        logTail = logTail == null ? List.of() : List.copyOf(logTail);
    }
}
