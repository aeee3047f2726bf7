package io.berth.agent.supervisor;

import io.berth.events.payload.TaskServicesReleased;

import java.util.List;

/**
 * Some stop hooks of a task failed (e.g. its namespace could not be deleted). Every hook still ran;
 * {@link #releases()} says how each service ended, {@link #errors()} what went wrong.
 */
public class TaskStopException extends RuntimeException {
    private final List<String> errors;
    private final List<TaskServicesReleased.ServiceRelease> releases;

    public TaskStopException(String taskId, List<String> errors, List<TaskServicesReleased.ServiceRelease> releases) {
        super("task " + taskId + ": release incomplete: " + String.join("; ", errors));
        this.errors = List.copyOf(errors);
        this.releases = List.copyOf(releases);
    }

    public List<String> errors() {
        return errors;
    }

    public List<TaskServicesReleased.ServiceRelease> releases() {
        return releases;
    }
}
