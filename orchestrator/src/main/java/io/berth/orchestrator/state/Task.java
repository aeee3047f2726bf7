package io.berth.orchestrator.state;

import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One task's state. Changed only by {@link TaskStateMachine}; everything else reads it. Not thread-safe:
 * the orchestrator touches it on its own Vert.x context only.
 */
public final class Task {
    private final String taskId;
    private final Set<String> seenEvents = new HashSet<>();
    private final Map<String, ServiceState> services = new LinkedHashMap<>();
    private TaskPhase phase = TaskPhase.NEW;
    private TaskRequest request;
    private String worker;
    private long generation;
    private String endedOutcome;
    private String failure;
    private long startedAtNanos;
    private long updatedAtMillis;

    public Task(String taskId) {
        this.taskId = taskId;
    }

    public String taskId() {
        return taskId;
    }

    public TaskPhase phase() {
        return phase;
    }

    /** The validated {@code task.started}, null until it arrived. */
    public TaskRequest request() {
        return request;
    }

    /** The worker the services run on, once placed. */
    public String worker() {
        return worker;
    }

    /** Identifies the StartServices incarnation; agents' events of other generations are stale. 0 before placement. */
    public long generation() {
        return generation;
    }

    /** The services in declaration order, once placed. */
    public Collection<ServiceState> services() {
        return Collections.unmodifiableCollection(services.values());
    }

    public ServiceState service(String name) {
        return services.get(name);
    }

    /** The outcome of {@code task.ended}, null while the task runs. */
    public String endedOutcome() {
        return endedOutcome;
    }

    /** Why the task's services failed, as published; null unless it failed. */
    public String failure() {
        return failure;
    }

    public long startedAtNanos() {
        return startedAtNanos;
    }

    public void startedAtNanos(long nanos) {
        startedAtNanos = nanos;
    }

    /** Epoch ms of the last input that changed the task (set by the orchestrator; used to forget old tasks). */
    public long updatedAtMillis() {
        return updatedAtMillis;
    }

    public void updatedAtMillis(long millis) {
        updatedAtMillis = millis;
    }

    /** Records the dedupe key of an event; false when it was already seen. */
    boolean firstSight(String dedupeKey) {
        return seenEvents.add(dedupeKey);
    }

    void phase(TaskPhase next) {
        phase = next;
    }

    void request(TaskRequest value) {
        request = value;
    }

    void placed(String onWorker, long gen) {
        worker = onWorker;
        generation = gen;
        services.clear();
        for (String name : request.serviceNames()) {
            services.put(name, new ServiceState(name));
        }
    }

    void ended(String outcome) {
        endedOutcome = outcome == null ? "unknown" : outcome;
    }

    void failure(String reason) {
        failure = reason;
    }

    boolean all(ServiceState.Status status) {
        return !services.isEmpty() && services.values().stream().allMatch(s -> s.status() == status);
    }

    boolean allStopped() {
        return services.values().stream().allMatch(s -> s.stopped() != null);
    }

    @Override
    public String toString() {
        return "Task[" + taskId + " " + phase + (worker == null ? "" : " on " + worker) + "]";
    }
}
