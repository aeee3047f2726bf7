package io.berth.orchestrator.coordinator;

import io.berth.orchestrator.state.Task;
import io.berth.orchestrator.state.TaskInput;
import io.berth.orchestrator.state.TaskPhase;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The timers of tasks — the maximum lifetime, the lease a heartbeat renews, the wait for every service's stopped
 * event after StopServices — and what each feeds back to the coordinator when it fires: {@code DeadlineExceeded}
 * or {@code StopTimedOut}. Used on one Vert.x context.
 */
final class TaskTimers {
    private static final Logger LOG = LoggerFactory.getLogger(TaskTimers.class);

    /** Where a fired timer's input goes (the coordinator applies it, unless the task was handed over). */
    @FunctionalInterface
    interface Expiry {
        void expired(Task task, TaskInput input);
    }

    private final Vertx vertx;
    private final long maxLifetimeMillis;
    private final long stopTimeoutMillis;
    private final Expiry expiry;
    private final Map<String, Long> deadlines = new HashMap<>();
    private final Map<String, Long> stops = new HashMap<>();
    private final TaskLeases leases;

    /**
     * @param maxLifetime how long after {@code task.started} a task may go without {@code task.ended}; zero: forever
     * @param stopTimeout how long after StopServices to wait for every service's stopped event
     */
    TaskTimers(Vertx vertx, Duration maxLifetime, Duration stopTimeout, Expiry expiry) {
        this.vertx = vertx;
        this.maxLifetimeMillis = maxLifetime.toMillis();
        this.stopTimeoutMillis = stopTimeout.toMillis();
        this.expiry = expiry;
        this.leases = new TaskLeases(vertx);
    }

    /** Arms the task's deadline once it was accepted and while it waits for or holds services; idempotent. */
    void armDeadline(Task task) {
        long max = maxLifetimeMillis;
        TaskPhase phase = task.phase();
        if (max <= 0 || task.acceptedAtMillis() == 0 || deadlines.containsKey(task.taskId())
                || !(phase == TaskPhase.PLACING || phase == TaskPhase.STARTING || phase == TaskPhase.READY)) {
            return;
        }
        long delay = Math.max(1, task.acceptedAtMillis() + max - System.currentTimeMillis());
        long timer = vertx.setTimer(delay, id -> {
            deadlines.remove(task.taskId());
            if (task.endedOutcome() != null) {
                return;
            }
            String reason = "task.ended not received within " + max + " ms of task.started (maximum task lifetime)";
            expire(task, "deadline", reason);
        });
        deadlines.put(task.taskId(), timer);
    }

    /** (Re)arms the wait for the stopped events of the task's services, after a StopServices. */
    void armStop(Task task) {
        cancel(stops, task.taskId());
        long timer = vertx.setTimer(stopTimeoutMillis, id -> {
            stops.remove(task.taskId());
            if (task.phase() == TaskPhase.FAILED || task.phase() == TaskPhase.STOPPING) {
                LOG.warn("task {}: not every service reported stopped within {} ms; releasing it anyway",
                        task.taskId(), stopTimeoutMillis);
                expiry.expired(task, new TaskInput.StopTimedOut());
            }
        });
        stops.put(task.taskId(), timer);
    }

    /**
     * (Re)starts the task's lease: {@code seconds} (a heartbeat's new length), else the length it has, else the one
     * its {@code task.started} asked for; a task without one, or past the point where it matters, has none.
     */
    void renewLease(Task task, Integer seconds) {
        if (!leased(task)) {
            leases.cancel(task.taskId());
            return;
        }
        int length = seconds != null ? seconds : leases.holds(task.taskId()) ? leases.seconds(task.taskId())
                : task.request() != null && task.request().leaseSeconds() != null ? task.request().leaseSeconds() : 0;
        if (length <= 0) {
            return;
        }
        leases.renew(task.taskId(), length, expiredAfter -> {
            if (leased(task)) {
                expire(task, "lease-expired", "lease expired: no berth.task.heartbeat.v1 within " + expiredAfter
                        + " s (the CI side is gone?)");
            }
        });
    }

    /** Starts the lease {@code task.started} asked for, unless the task has one already. */
    void startLease(Task task) {
        if (leased(task) && !leases.holds(task.taskId())) {
            renewLease(task, null);
        }
    }

    /** The task changed phase: a released task needs no timer, one past its lease no lease. */
    void phaseChanged(Task task) {
        if (task.phase() == TaskPhase.RELEASED) {
            cancel(stops, task.taskId());
            cancel(deadlines, task.taskId());
        }
        if (!leased(task)) {
            leases.cancel(task.taskId());
        }
    }

    /** Cancels every timer of the task (forgotten or handed over). */
    void forget(String taskId) {
        cancel(stops, taskId);
        cancel(deadlines, taskId);
        leases.cancel(taskId);
    }

    /** Cancels every timer (shutdown). */
    void cancelAll() {
        stops.values().forEach(vertx::cancelTimer);
        stops.clear();
        deadlines.values().forEach(vertx::cancelTimer);
        deadlines.clear();
        leases.cancelAll();
    }

    boolean hasDeadline(String taskId) {
        return deadlines.containsKey(taskId);
    }

    boolean hasLease(String taskId) {
        return leases.holds(taskId);
    }

    /** Whether a lease still matters: the task waits for or holds services that its end has not released yet. */
    private static boolean leased(Task task) {
        TaskPhase phase = task.phase();
        return task.endedOutcome() == null
                && (phase == TaskPhase.PLACING || phase == TaskPhase.STARTING || phase == TaskPhase.READY);
    }

    private void expire(Task task, String kind, String reason) {
        LOG.warn("task {}: {}; releasing its services", task.taskId(), reason);
        task.record(new Task.TimelineEntry(System.currentTimeMillis(), kind, null, reason));
        expiry.expired(task, new TaskInput.DeadlineExceeded(reason));
    }

    private void cancel(Map<String, Long> timers, String taskId) {
        Long timer = timers.remove(taskId);
        if (timer != null) {
            vertx.cancelTimer(timer);
        }
    }
}
