package io.berth.orchestrator.state;

/** What the state machine asks the orchestrator to do; the machine itself does no I/O. */
public sealed interface Effect {

    /** Find (and reserve) a worker for the task. */
    record Place(TaskRequest request) implements Effect {}

    /** Stop looking for a worker: the task ended while waiting. */
    record CancelPlacement() implements Effect {}

    /** Send StartServices to the worker's agent. */
    record SendStart(String worker, long generation, TaskRequest request) implements Effect {}

    /** Send StopServices to the worker's agent, and arm the stop timeout. */
    record SendStop(String worker, long generation, String reason) implements Effect {}

    /** Give back the capacity reserved on the worker. */
    record ReleaseWorker(String worker) implements Effect {}

    /** Publish a {@code berth.task.services.*} event ({@code payload} is its record). */
    record Publish(String type, Object payload) implements Effect {}
}
