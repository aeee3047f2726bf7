package io.berth.orchestrator.coordinator;

import io.berth.orchestrator.state.Task;
import io.berth.orchestrator.state.TaskPhase;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The tasks this instance remembers, oldest first, and how many are active (placing or holding services) — a count
 * kept as phases change, so metrics read it from any thread without walking the tasks. Used on one Vert.x context.
 */
final class TaskBook {
    private final Map<String, Task> tasks = new LinkedHashMap<>();
    private volatile int active;

    Task get(String taskId) {
        return tasks.get(taskId);
    }

    boolean contains(String taskId) {
        return tasks.containsKey(taskId);
    }

    /** Whether {@code task} is still the one remembered under its id (not forgotten or handed over meanwhile). */
    boolean isCurrent(Task task) {
        return tasks.get(task.taskId()) == task;
    }

    /** Adds a task (new, or restored: call {@link #recount()} after restoring). */
    void add(Task task) {
        tasks.put(task.taskId(), task);
    }

    /** Removes the tasks {@code leaving} selects, and returns them. */
    List<Task> removeIf(Predicate<Task> leaving) {
        List<Task> gone = tasks.values().stream().filter(leaving).toList();
        gone.forEach(t -> tasks.remove(t.taskId()));
        recount();
        return gone;
    }

    List<Task> all() {
        return new ArrayList<>(tasks.values());
    }

    /** Keeps the active count right when a task moved from {@code before} to its current phase. */
    void phaseChanged(TaskPhase before, TaskPhase after) {
        active += (isActive(after) ? 1 : 0) - (isActive(before) ? 1 : 0);
    }

    void recount() {
        active = (int) tasks.values().stream().filter(t -> isActive(t.phase())).count();
    }

    /** Tasks placing or holding services; safe to read from any thread. */
    int active() {
        return active;
    }

    /** Tasks holding services, per worker. */
    Map<String, Integer> activeByWorker() {
        Map<String, Integer> out = new HashMap<>();
        for (Task task : tasks.values()) {
            if (task.worker() != null && task.phase().holdsServices()) {
                out.merge(task.worker(), 1, Integer::sum);
            }
        }
        return out;
    }

    private static boolean isActive(TaskPhase phase) {
        return phase == TaskPhase.PLACING || phase.holdsServices();
    }
}
