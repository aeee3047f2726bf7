package io.berth.cli;

import io.berth.events.EventTypes;
import io.berth.events.payload.TaskHeartbeat;
import java.io.PrintWriter;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Renews a task's lease while {@code bin/berth run} lives: a {@code berth.task.heartbeat.v1} every third of the
 * lease, from a thread of its own (so a long CMD or a slow release never lets it lapse). When the run dies without
 * {@code task.ended} — SIGKILLed, its machine lost — the heartbeats stop and the orchestrator releases the task's
 * services once the lease runs out.
 */
final class LeaseKeeper implements AutoCloseable {
    private final ScheduledExecutorService timer;

    private LeaseKeeper(ScheduledExecutorService timer) {
        this.timer = timer;
    }

    /** Starts renewing the lease of {@code taskId} ({@code leaseSeconds} long; 0: no lease, nothing to do). */
    static LeaseKeeper start(TaskClient client, String taskId, int leaseSeconds, PrintWriter err) {
        if (leaseSeconds <= 0) {
            return new LeaseKeeper(null);
        }
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "berth-lease");
            t.setDaemon(true);
            return t;
        });
        long periodMillis = Math.max(200, leaseSeconds * 1_000L / 3);
        timer.scheduleAtFixedRate(() -> {
            try {
                client.publishQuietly(EventTypes.TASK_HEARTBEAT, taskId, new TaskHeartbeat(taskId, null));
            } catch (Exception e) {
                // the next one may get through; the lease has room for two misses
                err.println("berth: could not renew the lease of " + taskId + ": " + e.getMessage());
                err.flush();
            }
        }, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
        return new LeaseKeeper(timer);
    }

    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
