package io.berth.orchestrator.coordinator;

import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The leases of tasks whose {@code task.started} asked for one: a timer per task that a heartbeat pushes back, and
 * that, once it fires, tells the coordinator the lease expired. Not persisted: a task restored by another instance
 * gets a whole lease from the moment it was restored. Used on the orchestrator's context only.
 */
final class TaskLeases {
    private final Vertx vertx;
    private final Map<String, Lease> leases = new HashMap<>();

    private record Lease(long timer, int seconds) {}

    TaskLeases(Vertx vertx) {
        this.vertx = vertx;
    }

    boolean holds(String taskId) {
        return leases.containsKey(taskId);
    }

    /** The lease length of the task (seconds), or 0 when it has none. */
    int seconds(String taskId) {
        Lease lease = leases.get(taskId);
        return lease == null ? 0 : lease.seconds();
    }

    /** Starts (or restarts) the task's lease: {@code expired} gets the lease length unless renewed in time. */
    void renew(String taskId, int seconds, Consumer<Integer> expired) {
        cancel(taskId);
        long timer = vertx.setTimer(seconds * 1_000L, id -> {
            Lease lease = leases.get(taskId);
            if (lease != null && lease.timer() == id) {
                leases.remove(taskId);
                expired.accept(seconds);
            }
        });
        leases.put(taskId, new Lease(timer, seconds));
    }

    void cancel(String taskId) {
        Lease lease = leases.remove(taskId);
        if (lease != null) {
            vertx.cancelTimer(lease.timer());
        }
    }

    void cancelAll() {
        leases.values().forEach(lease -> vertx.cancelTimer(lease.timer()));
        leases.clear();
    }
}
