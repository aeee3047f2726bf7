package io.berth.cli;

import io.berth.orchestrator.Orchestrator;
import io.berth.orchestrator.view.TaskView;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends every task of an in-process orchestrator the way {@code task.ended} would, and waits until each one was
 * released: what stopping the all-in-one stack ({@code bin/berth up}'s SIGTERM) does before it stops the agent, so
 * that the CI platforms of those tasks hear {@code berth.task.services.released.v1} instead of nothing.
 */
final class TaskReleaser {
    private static final Logger LOG = LoggerFactory.getLogger(TaskReleaser.class);
    /** Phases in which a task holds, or waits for, services; the rest are over. */
    private static final Set<String> ACTIVE = Set.of("PLACING", "STARTING", "READY", "FAILED", "STOPPING");

    private TaskReleaser() {}

    static void releaseAll(Orchestrator orchestrator, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        try {
            List<String> active = active(orchestrator);
            if (active.isEmpty()) {
                return;
            }
            LOG.info("releasing {} task(s) before stopping", active.size());
            for (String taskId : active) {
                get(orchestrator.queries().forceRelease(taskId, "the all-in-one stack is stopping"));
            }
            while (!active(orchestrator).isEmpty() && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(50); // the orchestrator has no "all released" signal to wait on
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warn("releasing the tasks before stopping failed: {}", e.toString());
        }
    }

    private static List<String> active(Orchestrator orchestrator) {
        return get(orchestrator.queries().tasks()).stream().filter(t -> ACTIVE.contains(t.phase()))
                .map(TaskView::taskId).toList();
    }

    private static <T> T get(io.vertx.core.Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
