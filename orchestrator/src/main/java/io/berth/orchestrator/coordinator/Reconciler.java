package io.berth.orchestrator.coordinator;

import io.berth.orchestrator.ingress.StateReader;
import io.berth.orchestrator.state.Task;
import io.berth.orchestrator.state.TaskPhase;
import io.berth.protocol.RunningTask;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What agents run (their Hello's inventory) against what this instance knows: services of a task that is over are
 * stopped; so are those of a task this instance owns but does not know (forgotten after its retention, or never
 * started through Berth) — after a grace period, since its events may still be on their way. Tasks of other
 * instances' partitions are theirs to reconcile. Used on one Vert.x context.
 */
final class Reconciler {
    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

    private final Vertx vertx;
    private final AgentPort agents;
    private final Function<String, Task> tasks;
    private final long unknownTaskGraceMillis;
    /** Partitions of the task topics this instance owns (and how many there are): whose tasks it reconciles. */
    private final Set<Integer> ownedPartitions = new HashSet<>();
    private int partitionCount;

    /**
     * @param tasks            the task of an id this instance knows, else null
     * @param unknownTaskGrace how long a task an agent runs may stay unknown before its services are stopped
     */
    Reconciler(Vertx vertx, AgentPort agents, Function<String, Task> tasks, Duration unknownTaskGrace) {
        this.vertx = vertx;
        this.agents = agents;
        this.tasks = tasks;
        this.unknownTaskGraceMillis = unknownTaskGrace.toMillis();
    }

    /**
     * Partitions of the task topics given to ({@code assigned}) or taken from this instance; their tasks were just
     * restored or forgotten. Connected agents' inventories are reconciled again against the tasks now owned.
     */
    void partitionsChanged(Set<Integer> partitions, int count, boolean assigned) {
        if (assigned) {
            ownedPartitions.addAll(partitions);
        } else {
            ownedPartitions.removeAll(partitions);
        }
        this.partitionCount = count;
        if (assigned) {
            agents.inventories().forEach(this::reconcile);
        }
    }

    /** Whether the task's partition is this instance's. */
    boolean owns(String taskId) {
        return partitionCount > 0 && ownedPartitions.contains(StateReader.partitionOf(taskId, partitionCount));
    }

    /** Reconciles what {@code worker} runs; called when its agent (re)connects. */
    void reconcile(String worker, List<RunningTask> inventory) {
        for (RunningTask running : inventory) {
            Task task = tasks.apply(running.getTaskId());
            if (task == null) {
                if (owns(running.getTaskId())) {
                    vertx.setTimer(unknownTaskGraceMillis, id -> stopIfStillUnknown(worker, running));
                }
                continue;
            }
            if (!worker.equals(task.worker()) || running.getGeneration() != task.generation()) {
                continue;
            }
            TaskPhase phase = task.phase();
            if (phase == TaskPhase.FAILED || phase == TaskPhase.STOPPING || phase == TaskPhase.RELEASED) {
                LOG.info("task {}: worker {} still runs its services ({}); stopping them", task.taskId(), worker,
                        phase);
                stop(worker, running, "task is " + phase.name().toLowerCase() + "; services left running");
            }
        }
    }

    private void stopIfStillUnknown(String worker, RunningTask running) {
        if (tasks.apply(running.getTaskId()) == null && owns(running.getTaskId()) && agents.isConnected(worker)) {
            LOG.warn("task {}: worker {} runs services of it, but this orchestrator does not know the task; "
                    + "stopping them", running.getTaskId(), worker);
            stop(worker, running, "task unknown to the orchestrator");
        }
    }

    private void stop(String worker, RunningTask running, String reason) {
        agents.send(worker, TaskCommands.stop(running.getTaskId(), running.getGeneration(), reason))
                .onFailure(error -> LOG.warn("task {}: StopServices to {} failed: {}", running.getTaskId(), worker,
                        error.getMessage()));
    }
}
