package io.berth.orchestrator.state;

import io.berth.events.json.Json;
import io.berth.events.payload.ServiceReady;
import io.berth.events.payload.ServiceStopped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * What an orchestrator writes to {@code berth.orchestrator-state} (compacted, keyed by task id) after every change
 * of a task, and what the next owner of the task's partition restores. It carries everything decisions depend on —
 * phase, request, worker, generation, the events already applied (fingerprints of their dedupe keys, see
 * {@link SeenEvents}), each service's state — but not the timeline.
 */
public record TaskSnapshot(String taskId, TaskPhase phase, TaskRequest request, String worker, long generation,
                           String endedOutcome, String failure, long acceptedAtMillis, long updatedAtMillis,
                           List<String> seen, List<Service> services) {

    /** One service of the snapshot. */
    public record Service(String name, ServiceState.Status status, int probeAttempts, ServiceReady ready,
                          ServiceStopped stopped, Integer exitCode, String failureReason, List<String> logTail,
                          Long exitedAtMillis) {}

    public static TaskSnapshot of(Task task) {
        List<Service> services = new ArrayList<>();
        for (ServiceState s : task.services()) {
            services.add(new Service(s.name(), s.status(), s.probeAttempts(), s.ready(), s.stopped(), s.exitCode(),
                    s.failureReason(), s.logTail(), s.exitedAtMillis()));
        }
        return new TaskSnapshot(task.taskId(), task.phase(), task.request(), task.worker(), task.generation(),
                task.endedOutcome(), task.failure(), task.acceptedAtMillis(), task.updatedAtMillis(),
                task.seenKeys(), services);
    }

    /** The task as it was when the snapshot was taken. */
    public Task restore() {
        Task task = new Task(taskId);
        task.phase(phase);
        task.request(request);
        task.restoreServices(worker, generation, services == null ? List.of() : services);
        if (endedOutcome != null) {
            task.ended(endedOutcome);
        }
        task.failure(failure);
        task.acceptedAtMillis(acceptedAtMillis);
        task.updatedAtMillis(updatedAtMillis);
        if (seen != null) {
            seen.forEach(task::firstSight);
        }
        return task;
    }

    public byte[] toJson() {
        try {
            return Json.MAPPER.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static TaskSnapshot fromJson(byte[] json) {
        try {
            return Json.MAPPER.readValue(json, TaskSnapshot.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
