package io.berth.events.payload;

import java.util.List;

/**
 * {@code berth.task.services.degraded.v1}: a service of a task that was ready exited on its own while the task ran.
 * Published once per service exit, when it happens; the task keeps its other services until {@code task.ended}.
 *
 * @param exitedAtMillis when the agent saw it exit (epoch ms)
 * @param logTail        the last lines of its log
 */
public record TaskServicesDegraded(String taskId, String worker, String service, int exitCode, long exitedAtMillis,
                                   List<String> logTail) {
    public TaskServicesDegraded {
        logTail = logTail == null ? List.of() : List.copyOf(logTail);
    }
}
