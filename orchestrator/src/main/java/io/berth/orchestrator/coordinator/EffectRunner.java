package io.berth.orchestrator.coordinator;

import io.berth.orchestrator.gateway.CommandRejectedException;
import io.berth.orchestrator.placement.PlacementRequest;
import io.berth.orchestrator.placement.Placer;
import io.berth.orchestrator.state.Effect;
import io.berth.orchestrator.state.Task;
import io.berth.orchestrator.state.TaskInput;
import io.berth.orchestrator.state.TaskRequest;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out the state machine's effects, each with the executor it belongs to: placement, commands to agents,
 * outputs to Kafka, the stop timer. What comes back later (a placement, a refused start) is fed to the coordinator
 * as a new input. Used on one Vert.x context.
 */
final class EffectRunner {
    private static final Logger LOG = LoggerFactory.getLogger(EffectRunner.class);

    /** Where the outcome of an effect goes back to as an input (the coordinator). */
    @FunctionalInterface
    interface Feedback {
        void apply(Task task, TaskInput input);
    }

    private final Placer placer;
    private final AgentPort agents;
    private final OutputPublisher outputs;
    private final TaskTimers timers;
    private final Feedback feedback;

    EffectRunner(Placer placer, AgentPort agents, OutputPublisher outputs, TaskTimers timers, Feedback feedback) {
        this.placer = placer;
        this.agents = agents;
        this.outputs = outputs;
        this.timers = timers;
        this.feedback = feedback;
    }

    /** Carries out one effect; returns the future of a Kafka publish, null for fire-and-forget effects. */
    Future<?> run(Task task, Effect effect) {
        if (effect instanceof Effect.Publish publish) {
            return outputs.publish(task, publish);
        }
        if (effect instanceof Effect.Place place) {
            place(task, place.request());
        } else if (effect instanceof Effect.CancelPlacement) {
            placer.cancel(task.taskId());
        } else if (effect instanceof Effect.SendStart start) {
            start(task, start);
        } else if (effect instanceof Effect.SendStop stop) {
            stop(task, stop);
        } else if (effect instanceof Effect.ReleaseWorker) {
            placer.release(task.taskId());
        } else {
            throw new IllegalStateException("unhandled effect " + effect);
        }
        return null;
    }

    void place(Task task, TaskRequest request) {
        placer.place(new PlacementRequest(task.taskId(), request.worker(), request.services().size()))
                .onSuccess(reservation -> {
                    task.record(new Task.TimelineEntry(System.currentTimeMillis(), "placed", null,
                            "on worker " + reservation.worker()));
                    feedback.apply(task, new TaskInput.Placed(reservation.worker()));
                })
                .onFailure(error -> {
                    LOG.warn("task {}: {}", task.taskId(), error.getMessage());
                    feedback.apply(task, new TaskInput.PlacementFailed(error.getMessage()));
                });
    }

    void start(Task task, Effect.SendStart start) {
        LOG.info("task {}: starting {} service(s) on {}", task.taskId(), start.request().services().size(),
                start.worker());
        agents.send(start.worker(), TaskCommands.start(task.taskId(), start)).onFailure(error -> {
            if (error instanceof CommandRejectedException rejected && rejected.noRoom()) {
                LOG.info("task {}: worker {} has no room ({}); placing it elsewhere", task.taskId(), start.worker(),
                        error.getMessage());
                placer.noRoomOn(start.worker());
                task.record(new Task.TimelineEntry(System.currentTimeMillis(), "no-room", null,
                        "worker " + start.worker() + ": " + error.getMessage()));
                feedback.apply(task, new TaskInput.NoRoom(start.worker(), error.getMessage()));
            } else if (error instanceof CommandRejectedException) {
                feedback.apply(task, new TaskInput.StartRejected(start.worker(), error.getMessage()));
            } else {
                LOG.warn("task {}: StartServices to {} not delivered: {}", task.taskId(), start.worker(),
                        error.getMessage());
            }
        });
    }

    void stop(Task task, Effect.SendStop stop) {
        LOG.info("task {}: stopping services on {} ({})", task.taskId(), stop.worker(), stop.reason());
        agents.send(stop.worker(), TaskCommands.stop(task.taskId(), stop.generation(), stop.reason()))
                .onFailure(error -> LOG.warn("task {}: StopServices to {} failed: {}", task.taskId(), stop.worker(),
                        error.getMessage()));
        timers.armStop(task);
    }
}
