package io.berth.orchestrator.state;

import io.berth.events.EventTypes;
import io.berth.events.payload.TaskServicesFailed;
import io.berth.events.payload.TaskServicesReleased;
import io.berth.events.payload.TaskServicesDegraded;
import io.berth.orchestrator.state.Effect.CancelPlacement;
import io.berth.orchestrator.state.Effect.Place;
import io.berth.orchestrator.state.Effect.Publish;
import io.berth.orchestrator.state.Effect.ReleaseWorker;
import io.berth.orchestrator.state.Effect.SendStart;
import io.berth.orchestrator.state.Effect.SendStop;
import io.berth.orchestrator.state.TaskInput.AgentLost;
import io.berth.orchestrator.state.TaskInput.Ended;
import io.berth.orchestrator.state.TaskInput.Exited;
import io.berth.orchestrator.state.TaskInput.Failed;
import io.berth.orchestrator.state.TaskInput.Placed;
import io.berth.orchestrator.state.TaskInput.PlacementFailed;
import io.berth.orchestrator.state.TaskInput.Probed;
import io.berth.orchestrator.state.TaskInput.Ready;
import io.berth.orchestrator.state.TaskInput.ServiceEvent;
import io.berth.orchestrator.state.TaskInput.StartRejected;
import io.berth.orchestrator.state.TaskInput.Started;
import io.berth.orchestrator.state.TaskInput.Starting;
import io.berth.orchestrator.state.TaskInput.StopTimedOut;
import io.berth.orchestrator.state.TaskInput.Stopped;
import java.util.ArrayList;
import java.util.List;

/**
 * The per-task state machine: {@code apply(task, input)} changes the task and returns the effects to
 * carry out. Pure (no I/O, no clock), so every transition is tested as a table row.
 *
 * <p>Decisions worth knowing:
 * <ul>
 *   <li>An event whose dedupe key was already seen for the task changes nothing; so does a second
 *       {@code task.started} (any id) for a task that is known.</li>
 *   <li>{@code task.ended} before {@code task.started}: the task is remembered as ended; when the
 *       {@code task.started} arrives, nothing starts and {@code released} is published with no services,
 *       so the CI platform still sees the task's lifecycle close.</li>
 *   <li>{@code failed} is published at most once per task, only before {@code ready}; the first failing
 *       service wins. It is followed by StopServices and, once every service stopped, {@code released}.</li>
 *   <li>A service that exits after {@code ready} keeps the task running; the CI platform is told at once with
 *       {@code degraded}, and its release says when it had exited. One that fails after {@code ready} is recorded
 *       only.</li>
 *   <li>A refused {@code task.started} (dead-lettered) whose task id could be read answers a task still waiting with
 *       {@code failed} and {@code released}; a StartServices the worker refused does the same at once, unless it
 *       refused for want of room: then the task is placed again (capacity holds across instances that way).</li>
 *   <li>Placement failures publish {@code failed} (no service) then {@code released} (no services).</li>
 *   <li>A task that outlives the maximum lifetime without {@code task.ended} gets {@code failed} (reason: the
 *       deadline; even after {@code ready}), StopServices and {@code released}.</li>
 *   <li>Service events of another generation, of an unknown service, or for a task that holds no services
 *       are stale and ignored.</li>
 * </ul>
 */
public final class TaskStateMachine {
    /** Generation of the first (and, for now, only) StartServices of a task. */
    public static final long FIRST_GENERATION = 1;

    private TaskStateMachine() {}

    /**
     * Applies {@code input} to {@code task}.
     *
     * @param dedupeKey the event's {@code source + id}, or null for the orchestrator's own inputs
     * @return the effects, in the order to carry them out; empty when the input changed nothing
     */
    public static List<Effect> apply(Task task, String dedupeKey, TaskInput input) {
        if (input instanceof ServiceEvent event && !applies(task, event)) {
            // stale, or early (a task restored by a new owner still placing): not marked seen, so it counts if it
            // comes again (an agent reports its services again when it is sent the same start again)
            return List.of();
        }
        if (dedupeKey != null && !task.firstSight(dedupeKey)) {
            return List.of();
        }
        if (input instanceof ServiceEvent event) {
            return onServiceEvent(task, event);
        }
        if (input instanceof Started started) {
            return onStarted(task, started.request());
        }
        if (input instanceof Ended ended) {
            return onEnded(task, ended.ended().outcome());
        }
        if (input instanceof TaskInput.Rejected rejected) {
            return onRejected(task, rejected.reason());
        }
        if (input instanceof Placed placed) {
            return onPlaced(task, placed.worker());
        }
        if (input instanceof PlacementFailed failed) {
            if (task.phase() != TaskPhase.PLACING) {
                return List.of();
            }
            return Outcomes.failWithoutServices(task, failed.reason());
        }
        if (input instanceof TaskInput.NoRoom noRoom) {
            if (task.phase() != TaskPhase.STARTING || !noRoom.worker().equals(task.worker())) {
                return List.of();
            }
            // Nothing ran there: give the reservation back and place the task again; the worker counts as full
            // until it heartbeats again (PlacementChain#markFull), so the next choice is another one.
            task.phase(TaskPhase.PLACING);
            return List.of(new ReleaseWorker(noRoom.worker()), new Place(task.request()));
        }
        if (input instanceof StartRejected rejected) {
            if (task.phase() != TaskPhase.STARTING || !rejected.worker().equals(task.worker())) {
                return List.of();
            }
            // Refused before anything ran: answer at once instead of waiting for stops that never come. The stop
            // still goes out, so whatever a half-done start may have left is cleaned up by the agent.
            String reason = "worker " + rejected.worker() + " rejected StartServices: " + rejected.error();
            task.failure(reason);
            task.phase(TaskPhase.RELEASED);
            return List.of(
                    new Publish(EventTypes.TASK_SERVICES_FAILED,
                            new TaskServicesFailed(task.taskId(), task.worker(), null, reason, List.of())),
                    new SendStop(task.worker(), task.generation(), reason),
                    new Publish(EventTypes.TASK_SERVICES_RELEASED,
                            new TaskServicesReleased(task.taskId(), task.worker(), List.of())),
                    new ReleaseWorker(task.worker()));
        }
        if (input instanceof AgentLost lost) {
            return onAgentLost(task, lost.worker());
        }
        if (input instanceof TaskInput.DeadlineExceeded deadline) {
            return onDeadline(task, deadline.reason());
        }
        if (input instanceof StopTimedOut) {
            if (task.phase() != TaskPhase.FAILED && task.phase() != TaskPhase.STOPPING) {
                return List.of();
            }
            return Outcomes.release(task);
        }
        throw new IllegalArgumentException("unhandled input " + input);
    }

    private static List<Effect> onStarted(Task task, TaskRequest request) {
        switch (task.phase()) {
            case NEW -> {
                task.request(request);
                task.phase(TaskPhase.PLACING);
                return List.of(new Place(request));
            }
            case ENDED -> {
                // Ended before it started: never start it, but close its lifecycle for the CI platform.
                task.request(request);
                task.phase(TaskPhase.RELEASED);
                return List.of(new Publish(EventTypes.TASK_SERVICES_RELEASED,
                        new TaskServicesReleased(task.taskId(), request.worker(), List.of())));
            }
            default -> {
                return List.of();
            }
        }
    }

    private static List<Effect> onEnded(Task task, String outcome) {
        if (task.endedOutcome() != null) {
            return List.of();
        }
        task.ended(outcome);
        switch (task.phase()) {
            case NEW -> {
                task.phase(TaskPhase.ENDED);
                return List.of();
            }
            case PLACING -> {
                task.phase(TaskPhase.RELEASED);
                return List.of(new CancelPlacement(), new Publish(EventTypes.TASK_SERVICES_RELEASED,
                        new TaskServicesReleased(task.taskId(), task.request().worker(), List.of())));
            }
            case STARTING, READY -> {
                task.phase(TaskPhase.STOPPING);
                if (task.allStopped()) {
                    // every service is gone already (an agent restarted and could not keep them): nothing to stop
                    return Outcomes.release(task);
                }
                return List.of(new SendStop(task.worker(), task.generation(), "task ended: " + task.endedOutcome()));
            }
            default -> {
                // FAILED: the stop is already under way. STOPPING/RELEASED/ENDED: nothing left to do.
                return List.of();
            }
        }
    }

    /** A refused {@code task.started}: a task still waiting for it is told, once; any other is left alone. */
    private static List<Effect> onRejected(Task task, String reason) {
        if (task.phase() != TaskPhase.NEW && task.phase() != TaskPhase.ENDED) {
            return List.of();
        }
        return Outcomes.failWithoutServices(task, reason);
    }

    private static List<Effect> onPlaced(Task task, String worker) {
        if (task.phase() != TaskPhase.PLACING) {
            // The task ended while placement was reserving a worker: give the reservation back.
            return List.of(new ReleaseWorker(worker));
        }
        task.placed(worker, FIRST_GENERATION);
        task.phase(TaskPhase.STARTING);
        return List.of(new SendStart(worker, task.generation(), task.request()));
    }

    private static List<Effect> onAgentLost(Task task, String worker) {
        if (!worker.equals(task.worker())) {
            return List.of();
        }
        if (task.phase() == TaskPhase.STARTING || task.phase() == TaskPhase.READY) {
            return Outcomes.fail(task, null, "worker " + worker + " lost: its agent stopped heartbeating", List.of());
        }
        return List.of();
    }

    /**
     * A task whose {@code task.ended} never came: {@code failed} with the reason (the one case where {@code failed}
     * may follow {@code ready}), then StopServices and, once every service stopped, {@code released}.
     */
    private static List<Effect> onDeadline(Task task, String reason) {
        switch (task.phase()) {
            case PLACING -> {
                List<Effect> effects = new ArrayList<>();
                effects.add(new CancelPlacement());
                effects.addAll(Outcomes.failWithoutServices(task, reason));
                return effects;
            }
            case STARTING, READY -> {
                return Outcomes.fail(task, null, reason, List.of());
            }
            default -> {
                return List.of();
            }
        }
    }

    /** Whether a service event is about a service of the task's current generation while the task holds services. */
    private static boolean applies(Task task, ServiceEvent event) {
        return task.phase().holdsServices() && event.generation() == task.generation()
                && task.service(event.service()) != null;
    }

    private static List<Effect> onServiceEvent(Task task, ServiceEvent event) {
        ServiceState service = task.service(event.service());
        if (event instanceof Starting) {
            service.starting();
            return List.of();
        }
        if (event instanceof Probed probed) {
            service.probed(probed.event().attempt(), probed.event().succeeded());
            return List.of();
        }
        if (event instanceof Ready ready) {
            service.ready(ready.event(), task.taskId(), task.worker(), task.readyNetwork());
            if (task.phase() == TaskPhase.STARTING && task.all(ServiceState.Status.READY)) {
                task.phase(TaskPhase.READY);
                return List.of(new Publish(EventTypes.TASK_SERVICES_READY, Outcomes.readyPayload(task)));
            }
            return List.of();
        }
        if (event instanceof Failed failed) {
            service.failed(failed.event().reason(), failed.event().logTail());
            if (task.phase() == TaskPhase.STARTING) {
                return Outcomes.fail(task, service.name(), failed.event().reason(), failed.event().logTail());
            }
            return List.of();
        }
        if (event instanceof Exited exited) {
            boolean wasRunning = service.ready() != null && service.stopped() == null
                    && service.status() != ServiceState.Status.EXITED;
            service.exited(exited.event().exitCode(), exited.event().logTail(), exited.atMillis());
            if (task.phase() == TaskPhase.STARTING) {
                return Outcomes.fail(task, service.name(), "exited with code " + exited.event().exitCode()
                        + " before it was ready", exited.event().logTail());
            }
            if (task.phase() == TaskPhase.READY && wasRunning) {
                // the task runs on without it: the CI side hears of it now, not at the release
                return List.of(new Publish(EventTypes.TASK_SERVICES_DEGRADED, new TaskServicesDegraded(task.taskId(),
                        task.worker(), service.name(), exited.event().exitCode(), service.exitedAtMillis(),
                        exited.event().logTail())));
            }
            return List.of();
        }
        if (event instanceof Stopped stopped) {
            boolean wasStarting = task.phase() == TaskPhase.STARTING;
            service.stopped(stopped.event());
            if (wasStarting) {
                return Outcomes.fail(task, service.name(),
                        "stopped (" + stopped.event().signal() + ") before it was ready", List.of());
            }
            if ((task.phase() == TaskPhase.FAILED || task.phase() == TaskPhase.STOPPING) && task.allStopped()) {
                return Outcomes.release(task);
            }
            return List.of();
        }
        throw new IllegalArgumentException("unhandled service event " + event);
    }
}
