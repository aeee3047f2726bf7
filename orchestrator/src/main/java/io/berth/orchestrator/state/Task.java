package io.berth.orchestrator.state;

import io.berth.events.payload.NetworkSpec;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One task's state. Changed only by {@link TaskStateMachine}; everything else reads it. Not thread-safe:
 * the orchestrator touches it on its own Vert.x context only.
 */
public final class Task {
    public static final int MAX_TIMELINE = 200;
    private final String taskId;
    private final SeenEvents seenEvents = new SeenEvents();
    private final Map<String, ServiceState> services = new LinkedHashMap<>();
    private TaskPhase phase = TaskPhase.NEW;
    private TaskRequest request;
    private String worker;
    private long generation;
    private String endedOutcome;
    private String failure;
    private long startedAtNanos;
    private long endedAtNanos;
    private long updatedAtMillis;
    private long acceptedAtMillis;
    private final List<TimelineEntry> timeline = new ArrayList<>();

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

    /** When {@code task.ended} was received ({@link System#nanoTime()}), 0 before; set by the orchestrator. */
    public long endedAtNanos() {
        return endedAtNanos;
    }

    public void endedAtNanos(long nanos) {
        endedAtNanos = nanos;
    }

    /** What happened to the task, oldest first (at most {@link #MAX_TIMELINE} entries; the newest are kept). */
    public List<TimelineEntry> timeline() {
        return Collections.unmodifiableList(timeline);
    }

    /** Adds to the timeline; the orchestrator records, the state machine never does (it has no clock). */
    public void record(TimelineEntry entry) {
        if (timeline.size() >= MAX_TIMELINE) {
            timeline.remove(1); // keep the first entry (task.started): it anchors every duration
        }
        timeline.add(entry);
    }

    /**
     * One moment of a task's life: an event received or published, or something the orchestrator did.
     *
     * @param atMillis epoch ms (the event's own time for received events, else the orchestrator's clock)
     * @param event    the CloudEvents type, or a word for the orchestrator's own steps ({@code placed}, …)
     * @param service  the service it is about, or null
     * @param detail   a short human-readable description, or null
     */
    public record TimelineEntry(long atMillis, String event, String service, String detail) {
        /**
         * Interned: the event types, service names and most details ("on worker w1", "launched") are the same for
         * many tasks, and every live task keeps its timeline; decoded events brought a copy of each per entry.
         */
        public TimelineEntry {
            event = event == null ? null : event.intern();
            service = service == null ? null : service.intern();
            detail = detail == null ? null : detail.intern();
        }
    }

    /** Epoch ms of the last input that changed the task (set by the orchestrator; used to forget old tasks). */
    public long updatedAtMillis() {
        return updatedAtMillis;
    }

    public void updatedAtMillis(long millis) {
        updatedAtMillis = millis;
    }

    /** Epoch ms when {@code task.started} was first applied (the task's lifetime counts from it); 0 before. */
    public long acceptedAtMillis() {
        return acceptedAtMillis;
    }

    public void acceptedAtMillis(long millis) {
        acceptedAtMillis = millis;
    }

    /** The events applied so far, as a snapshot carries them (fingerprints of their dedupe keys, sorted). */
    List<String> seenKeys() {
        return seenEvents.forSnapshot();
    }

    void restoreServices(String onWorker, long gen, List<TaskSnapshot.Service> snapshot) {
        worker = onWorker;
        generation = gen;
        services.clear();
        for (TaskSnapshot.Service s : snapshot) {
            services.put(s.name(), ServiceState.restore(s, taskId, onWorker, readyNetwork()));
        }
    }

    /** The network a service of this task was ready in (they share the task's), or null: for the next to share. */
    NetworkSpec readyNetwork() {
        for (ServiceState s : services.values()) {
            if (s.ready() != null && s.ready().network() != null) {
                return s.ready().network();
            }
        }
        return null;
    }

    /** True when an event with this dedupe key was already applied to the task. */
    public boolean seen(String dedupeKey) {
        return seenEvents.contains(dedupeKey);
    }

    /** Records the dedupe key of an event; false when it was already seen. */
    boolean firstSight(String dedupeKey) {
        return seenEvents.add(dedupeKey);
    }

    void phase(TaskPhase next) {
        phase = next;
    }

    /** Kept with this task's id string rather than the decoded request's copy of it. */
    void request(TaskRequest value) {
        request = value == null || value.taskId() == taskId || !taskId.equals(value.taskId()) ? value
                : new TaskRequest(taskId, value.worker(), value.network(), value.services(), value.inputs(),
                        value.leaseSeconds());
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
