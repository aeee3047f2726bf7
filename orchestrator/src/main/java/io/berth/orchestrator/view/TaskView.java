package io.berth.orchestrator.view;

import io.berth.orchestrator.state.Task;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A read-only snapshot of a task, for the CLI and the admin API.
 *
 * @param requestedWorker the worker {@code task.started} named, or null
 * @param timeline        what happened to the task, oldest first
 */
public record TaskView(String taskId, String phase, String worker, long generation, String failure,
                       String endedOutcome, List<ServiceView> services, String requestedWorker,
                       long updatedAtMillis, List<Task.TimelineEntry> timeline) {

    /** The task as it is now; call on the context that owns it. */
    public static TaskView of(Task task) {
        Map<String, String> configs = new HashMap<>();
        if (task.request() != null) {
            task.request().services().forEach(s -> configs.put(s.name(), s.configJson()));
        }
        List<ServiceView> services = new ArrayList<>();
        for (var s : task.services()) {
            services.add(new ServiceView(s.name(), s.status().name(), s.exitCode(), s.failureReason(),
                    s.stopped() == null ? null : s.stopped().signal(), s.probeAttempts(), configs.get(s.name()),
                    s.ready(), s.stopped(), s.logTail()));
        }
        if (services.isEmpty() && task.request() != null) {
            // not placed (yet): the requested services, pending
            task.request().services().forEach(r -> services.add(new ServiceView(r.name(), "PENDING", null, null,
                    null, 0, r.configJson(), null, null, List.of())));
        }
        return new TaskView(task.taskId(), task.phase().name(), task.worker(), task.generation(), task.failure(),
                task.endedOutcome(), List.copyOf(services),
                task.request() == null ? null : task.request().worker(), task.updatedAtMillis(),
                List.copyOf(task.timeline()));
    }
}
