package io.berth.orchestrator.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berth.events.EventTypes;
import io.berth.events.payload.NetworkSpec;
import io.berth.events.payload.ServiceExited;
import io.berth.events.payload.ServiceFailed;
import io.berth.events.payload.ServiceProbe;
import io.berth.events.payload.ServiceReady;
import io.berth.events.payload.ServiceStarting;
import io.berth.events.payload.ServiceStopped;
import io.berth.events.payload.SvcVariables;
import io.berth.events.payload.TaskEnded;
import io.berth.events.payload.TaskServicesFailed;
import io.berth.events.payload.TaskServicesReady;
import io.berth.events.payload.TaskServicesReleased;
import io.berth.orchestrator.state.TaskRequest.RequestedService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TaskStateMachineTest {
    private static final String TASK = "task-1";
    private static final String WORKER = "w1";
    private static final NetworkSpec NETNS = new NetworkSpec("namespace", "/run/netns/berth-task-1");

    /** Every transition: from a phase reached by a canonical path, one input, the phase and effects after. */
    static Stream<Arguments> transitions() {
        return Stream.of(
                row("NEW", started(), "PLACING", "Place"),
                row("NEW", ended(), "ENDED"),
                row("NEW", ready("a", 1), "NEW"),
                row("ENDED", started(), "RELEASED", "Publish:released"),
                row("ENDED", ended(), "ENDED"),
                row("PLACING", started(), "PLACING"),
                row("PLACING", placed(WORKER), "STARTING", "SendStart"),
                row("PLACING", placementFailed(), "RELEASED", "Publish:failed", "Publish:released"),
                row("PLACING", ended(), "RELEASED", "CancelPlacement", "Publish:released"),
                row("PLACING", ready("a", 1), "PLACING"),
                row("STARTING", starting("a"), "STARTING"),
                row("STARTING", probe("a"), "STARTING"),
                row("STARTING", ready("a", 1), "STARTING"),
                row("STARTING_A_READY", ready("b", 1), "READY", "Publish:ready"),
                row("STARTING", ready("a", 2), "STARTING"),
                row("STARTING", ready("nope", 1), "STARTING"),
                row("STARTING", failed("a"), "FAILED", "Publish:failed", "SendStop"),
                row("STARTING", exited("a"), "FAILED", "Publish:failed", "SendStop"),
                row("STARTING", stopped("a"), "FAILED", "Publish:failed", "SendStop"),
                // the worker refused the start: nothing runs, so the answer comes at once
                row("STARTING", rejected(WORKER), "RELEASED", "Publish:failed", "SendStop", "Publish:released",
                        "ReleaseWorker"),
                // the worker had no room (another instance filled it): the task is placed again, elsewhere
                row("STARTING", noRoom(WORKER), "PLACING", "ReleaseWorker", "Place"),
                row("STARTING", noRoom("w2"), "STARTING"),
                row("READY", noRoom(WORKER), "READY"),
                row("PLACING", noRoom(WORKER), "PLACING"),
                row("STARTING", agentLost(WORKER), "FAILED", "Publish:failed", "SendStop"),
                row("STARTING", agentLost("w2"), "STARTING"),
                row("STARTING", ended(), "STOPPING", "SendStop"),
                row("STARTING", started(), "STARTING"),
                row("STARTING", placed("w2"), "STARTING", "ReleaseWorker"),
                row("STARTING", stopTimedOut(), "STARTING"),
                row("READY", started(), "READY"),
                row("READY", ready("a", 1), "READY"),
                row("READY", exited("a"), "READY", "Publish:degraded"),
                row("READY_A_EXITED", exited("a"), "READY"),
                // a task.started that was dead-lettered: answered while the task waits for its start, else ignored
                row("NEW", refused(), "RELEASED", "Publish:failed", "Publish:released"),
                row("ENDED", refused(), "RELEASED", "Publish:failed", "Publish:released"),
                row("STARTING", refused(), "STARTING"),
                row("READY", refused(), "READY"),
                row("RELEASED", refused(), "RELEASED"),
                row("READY", failed("a"), "READY"),
                row("READY", agentLost(WORKER), "FAILED", "Publish:failed", "SendStop"),
                row("READY", ended(), "STOPPING", "SendStop"),
                row("READY_ALL_STOPPED", ended(), "RELEASED", "Publish:released", "ReleaseWorker"),
                row("READY", stopTimedOut(), "READY"),
                row("FAILED", failed("b"), "FAILED"),
                row("FAILED", ready("b", 1), "FAILED"),
                row("FAILED", ended(), "FAILED"),
                row("FAILED", stopped("a"), "FAILED"),
                row("FAILED_A_STOPPED", stopped("b"), "RELEASED", "Publish:released", "ReleaseWorker"),
                row("FAILED", stopTimedOut(), "RELEASED", "Publish:released", "ReleaseWorker"),
                row("FAILED", started(), "FAILED"),
                row("STOPPING", stopped("a"), "STOPPING"),
                row("STOPPING_A_STOPPED", stopped("b"), "RELEASED", "Publish:released", "ReleaseWorker"),
                row("STOPPING", stopTimedOut(), "RELEASED", "Publish:released", "ReleaseWorker"),
                row("STOPPING", ended(), "STOPPING"),
                row("STOPPING", exited("a"), "STOPPING"),
                row("RELEASED", started(), "RELEASED"),
                row("RELEASED", ended(), "RELEASED"),
                row("RELEASED", stopped("a"), "RELEASED"),
                row("RELEASED", stopTimedOut(), "RELEASED"),
                row("RELEASED", placed("w2"), "RELEASED", "ReleaseWorker"),
                row("PLACING", deadline(), "RELEASED", "CancelPlacement", "Publish:failed", "Publish:released"),
                row("STARTING", deadline(), "FAILED", "Publish:failed", "SendStop"),
                row("READY", deadline(), "FAILED", "Publish:failed", "SendStop"),
                row("STOPPING", deadline(), "STOPPING"),
                row("FAILED", deadline(), "FAILED"),
                row("RELEASED", deadline(), "RELEASED"),
                row("ENDED", deadline(), "ENDED"));
    }

    @ParameterizedTest(name = "{0} + {1} -> {2} {3}")
    @MethodSource("transitions")
    void transition(String from, Named<TaskInput> input, String expectedPhase, List<String> expectedEffects) {
        Task task = taskIn(from);
        List<Effect> effects = TaskStateMachine.apply(task, UUID.randomUUID().toString(), input.value.get());
        assertEquals(TaskPhase.valueOf(expectedPhase), task.phase());
        assertEquals(expectedEffects, effects.stream().map(TaskStateMachineTest::describe).toList());
    }

    @Test
    void serviceEventTooEarly_isNotMarkedSeen_andCountsWhenItComesAgain() {
        // a new owner restored the task while it was placing; the agent's ready arrives before the start is resent
        Task task = taskIn("PLACING");
        TaskInput early = ready("a", 1).value.get();
        assertEquals(List.of(), TaskStateMachine.apply(task, "agent id-a", early));
        TaskStateMachine.apply(task, null, placed(WORKER).value.get());
        TaskStateMachine.apply(task, "agent id-a", early); // the agent says it again
        TaskStateMachine.apply(task, "agent id-b", ready("b", 1).value.get());
        assertEquals(TaskPhase.READY, task.phase());
    }

    @Test
    void duplicateEvent_sameDedupeKey_hasNoEffect() {
        Task task = taskIn("STARTING_A_READY");
        TaskInput lastReady = ready("b", 1).value.get();
        assertEquals(1, TaskStateMachine.apply(task, "src id-b", lastReady).size());
        assertEquals(List.of(), TaskStateMachine.apply(task, "src id-b", lastReady));
        assertEquals(TaskPhase.READY, task.phase());
    }

    @Test
    void duplicateTaskStarted_withSameKey_placesOnce() {
        Task task = new Task(TASK);
        TaskInput started = started().value.get();
        assertEquals(1, TaskStateMachine.apply(task, "ci e1", started).size());
        assertEquals(List.of(), TaskStateMachine.apply(task, "ci e1", started));
        assertEquals(List.of(), TaskStateMachine.apply(task, "ci e2", started));
    }

    @Test
    void probeAttempts_areTheCountedFailuresAndTheReadyOne_evenWhenAnAgentAlsoReportsTheSuccess() {
        Task task = taskIn("STARTING");
        TaskStateMachine.apply(task, null, new TaskInput.Probed(new ServiceProbe(TASK, "a", WORKER, 1, 1, "failure", "refused")));
        TaskStateMachine.apply(task, null, new TaskInput.Probed(new ServiceProbe(TASK, "a", WORKER, 1, 2, "error", "no such file")));
        TaskStateMachine.apply(task, null, new TaskInput.Probed(new ServiceProbe(TASK, "a", WORKER, 1, 3, "success", "up")));
        TaskStateMachine.apply(task, null, new TaskInput.Ready(readyEvent("a", 1, Map.of("default", 5432))));
        TaskStateMachine.apply(task, "dup", new TaskInput.Ready(readyEvent("a", 1, Map.of("default", 5432))));
        TaskStateMachine.apply(task, null, new TaskInput.Ready(readyEvent("b", 1, Map.of("default", 6379))));

        assertEquals(3, task.service("a").probeAttempts());
        assertEquals(1, task.service("b").probeAttempts(), "ready at the first attempt, no probe event");
    }

    @Test
    void allReady_publishesSvcVariablesPerService_andTheNetwork() {
        Task task = taskIn("STARTING");
        TaskStateMachine.apply(task, null, new TaskInput.Ready(readyEvent("a", 1, Map.of("default", 5432, "metrics", 9187))));
        List<Effect> effects = TaskStateMachine.apply(task, null,
                new TaskInput.Ready(readyEvent("b", 1, Map.of("default", 6379))));

        TaskServicesReady payload = (TaskServicesReady) ((Effect.Publish) effects.get(0)).payload();
        assertEquals(TASK, payload.taskId());
        assertEquals(WORKER, payload.worker());
        assertEquals(NETNS, payload.network());
        SvcVariables a = payload.services().get("a");
        assertEquals("127.0.0.1:5432", a.address());
        assertEquals(5432, a.port());
        assertEquals(9187, a.ports().get("metrics"));
        assertEquals("127.0.0.1:9187", a.addresses().get("metrics"));
        assertEquals("127.0.0.1:6379", payload.services().get("b").address());
    }

    @Test
    void aTasksServicesHoldOneCopyOfItsNetwork_andItsRequestItsId_thoughEveryDecodedEventBringsItsOwn() {
        // a decoded event or snapshot carries its own copy of every string; ten thousand live tasks held them all
        Task task = new Task(new String(TASK));
        for (TaskInput input : List.of(started().value.get(), placed(WORKER).value.get(),
                new TaskInput.Ready(new ServiceReady(TASK, "a", WORKER, 1, copyOf(NETNS), "127.0.0.1",
                        Map.of("default", 5432), 1, 2L, 3)),
                new TaskInput.Ready(new ServiceReady(TASK, "b", WORKER, 1, copyOf(NETNS), "127.0.0.1",
                        Map.of("default", 6379), 1, 2L, 3)))) {
            TaskStateMachine.apply(task, UUID.randomUUID().toString(), input);
        }
        assertEquals(TaskPhase.READY, task.phase());
        assertSame(task.service("a").ready().network(), task.service("b").ready().network());
        assertSame(task.taskId(), task.request().taskId());

        Task restored = TaskSnapshot.fromJson(TaskSnapshot.of(task).toJson()).restore();
        assertEquals(NETNS, restored.service("b").ready().network());
        assertSame(restored.service("a").ready().network(), restored.service("b").ready().network());
        assertSame(restored.taskId(), restored.request().taskId());
    }

    private static NetworkSpec copyOf(NetworkSpec n) {
        return new NetworkSpec(new String(n.mode()), new String(n.path()));
    }

    @Test
    void failure_isPublishedOnce_withServiceReasonAndLogTail() {
        Task task = taskIn("STARTING");
        List<Effect> first = TaskStateMachine.apply(task, null, new TaskInput.Failed(
                new ServiceFailed(TASK, "a", WORKER, 1, "probe failed 3 times", List.of("FATAL: no config"))));
        TaskServicesFailed failed = (TaskServicesFailed) ((Effect.Publish) first.get(0)).payload();
        assertEquals("a", failed.service());
        assertEquals("probe failed 3 times", failed.reason());
        assertEquals(List.of("FATAL: no config"), failed.logTail());
        Effect.SendStop stop = assertInstanceOf(Effect.SendStop.class, first.get(1));
        assertEquals(WORKER, stop.worker());
        assertEquals(1, stop.generation());

        List<Effect> second = TaskStateMachine.apply(task, null, new TaskInput.Failed(
                new ServiceFailed(TASK, "b", WORKER, 1, "also broken", List.of())));
        assertEquals(List.of(), second);
        assertEquals("a: probe failed 3 times", task.failure());
    }

    @Test
    void released_carriesEachServicesSignalDurationAndExitCode() {
        Task task = taskIn("STOPPING");
        TaskStateMachine.apply(task, null, new TaskInput.Stopped(new ServiceStopped(TASK, "a", WORKER, 1, "SIGTERM", 120, 0)));
        List<Effect> effects = TaskStateMachine.apply(task, null,
                new TaskInput.Stopped(new ServiceStopped(TASK, "b", WORKER, 1, "SIGKILL", 10_004, 137)));
        TaskServicesReleased released = (TaskServicesReleased) ((Effect.Publish) effects.get(0)).payload();
        assertEquals(WORKER, released.worker());
        assertEquals(List.of(
                new TaskServicesReleased.ServiceRelease("a", "SIGTERM", 120, 0),
                new TaskServicesReleased.ServiceRelease("b", "SIGKILL", 10_004, 137)), released.services());
    }

    @Test
    void endedBeforeStarted_neverStarts_andReleasesWithNoServices() {
        Task task = new Task(TASK);
        assertEquals(List.of(), TaskStateMachine.apply(task, "ci end", ended().value.get()));
        List<Effect> effects = TaskStateMachine.apply(task, "ci start", started().value.get());
        assertEquals(1, effects.size());
        TaskServicesReleased released = (TaskServicesReleased) ((Effect.Publish) effects.get(0)).payload();
        assertTrue(released.services().isEmpty());
        assertEquals(TaskPhase.RELEASED, task.phase());
        assertEquals("aborted", task.endedOutcome());
        assertNull(task.worker());
    }

    @Test
    void placementFailure_failsWithoutAService_andReleasesWithNone() {
        Task task = taskIn("PLACING");
        List<Effect> effects = TaskStateMachine.apply(task, null,
                new TaskInput.PlacementFailed("strategy 'requested-worker' left no candidate"));
        TaskServicesFailed failed = (TaskServicesFailed) ((Effect.Publish) effects.get(0)).payload();
        assertNull(failed.service());
        assertTrue(failed.reason().contains("requested-worker"));
    }

    @Test
    void noRoom_thenPlacedOnAnotherWorker_startsThereWithTheSameRequest() {
        Task task = taskIn("STARTING");
        TaskStateMachine.apply(task, null, noRoom(WORKER).value.get());
        List<Effect> effects = TaskStateMachine.apply(task, null, placed("w2").value.get());
        assertEquals(TaskPhase.STARTING, task.phase());
        assertEquals("w2", task.worker());
        Effect.SendStart start = (Effect.SendStart) effects.get(0);
        assertEquals("w2", start.worker());
        assertEquals(task.request(), start.request());
    }

    @Test
    void exitWhileReady_isRecordedOnTheService() {
        Task task = taskIn("READY");
        TaskStateMachine.apply(task, null, exited("a").value.get());
        assertEquals(ServiceState.Status.EXITED, task.service("a").status());
        assertEquals(3, task.service("a").exitCode());
        assertEquals(TaskPhase.READY, task.phase());
    }

    // ---- building blocks

    /** Drives a fresh task with services a and b to the named phase along the usual path. */
    private static Task taskIn(String phase) {
        Task task = new Task(TASK);
        List<TaskInput> path = new ArrayList<>();
        switch (phase) {
            case "NEW" -> { }
            case "ENDED" -> path.add(ended().value.get());
            case "PLACING" -> path.add(started().value.get());
            case "STARTING" -> path.addAll(List.of(started().value.get(), placed(WORKER).value.get()));
            case "STARTING_A_READY" -> path.addAll(List.of(started().value.get(), placed(WORKER).value.get(),
                    ready("a", 1).value.get()));
            case "READY" -> path.addAll(List.of(started().value.get(), placed(WORKER).value.get(),
                    ready("a", 1).value.get(), ready("b", 1).value.get()));
            case "READY_A_EXITED" -> path.addAll(List.of(started().value.get(), placed(WORKER).value.get(),
                    ready("a", 1).value.get(), ready("b", 1).value.get(), exited("a").value.get()));
            // every service reported gone while the task ran (an agent restarted and could not keep them)
            case "READY_ALL_STOPPED" -> path.addAll(List.of(started().value.get(), placed(WORKER).value.get(),
                    ready("a", 1).value.get(), ready("b", 1).value.get(), stopped("a").value.get(),
                    stopped("b").value.get()));
            case "FAILED" -> path.addAll(List.of(started().value.get(), placed(WORKER).value.get(),
                    failed("a").value.get()));
            case "FAILED_A_STOPPED" -> path.addAll(List.of(started().value.get(), placed(WORKER).value.get(),
                    failed("a").value.get(), stopped("a").value.get()));
            case "STOPPING" -> path.addAll(List.of(started().value.get(), placed(WORKER).value.get(),
                    ready("a", 1).value.get(), ready("b", 1).value.get(), ended().value.get()));
            case "STOPPING_A_STOPPED" -> path.addAll(List.of(started().value.get(), placed(WORKER).value.get(),
                    ready("a", 1).value.get(), ready("b", 1).value.get(), ended().value.get(),
                    stopped("a").value.get()));
            case "RELEASED" -> path.addAll(List.of(started().value.get(), placed(WORKER).value.get(),
                    ready("a", 1).value.get(), ready("b", 1).value.get(), ended().value.get(),
                    stopped("a").value.get(), stopped("b").value.get()));
            default -> throw new IllegalArgumentException(phase);
        }
        for (TaskInput input : path) {
            TaskStateMachine.apply(task, UUID.randomUUID().toString(), input);
        }
        String expected = phase.replaceAll("_(A|ALL)_(READY|STOPPED|EXITED)$", "");
        assertEquals(TaskPhase.valueOf(expected), task.phase(), "path to " + phase);
        return task;
    }

    private static String describe(Effect effect) {
        if (effect instanceof Effect.Publish p) {
            return "Publish:" + p.type().replace("berth.task.services.", "").replace(".v1", "");
        }
        return effect.getClass().getSimpleName();
    }

    private static Arguments row(String from, Named<TaskInput> input, String to, String... effects) {
        return Arguments.of(from, input, to, List.of(effects));
    }

    /** An input with a readable name in the test report. */
    record Named<T>(String name, Supplier<T> value) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Named<TaskInput> started() {
        return new Named<>("started", () -> new TaskInput.Started(new TaskRequest(TASK, null, null,
                List.of(new RequestedService("a", "{}"), new RequestedService("b", "{}")), Map.of())));
    }

    private static Named<TaskInput> ended() {
        return new Named<>("ended", () -> new TaskInput.Ended(new TaskEnded(TASK, "aborted")));
    }

    private static Named<TaskInput> placed(String worker) {
        return new Named<>("placed(" + worker + ")", () -> new TaskInput.Placed(worker));
    }

    private static Named<TaskInput> placementFailed() {
        return new Named<>("placementFailed", () -> new TaskInput.PlacementFailed("no worker"));
    }

    private static Named<TaskInput> rejected(String worker) {
        return new Named<>("startRejected", () -> new TaskInput.StartRejected(worker, "bad config"));
    }

    private static Named<TaskInput> noRoom(String worker) {
        return new Named<>("noRoom(" + worker + ")", () -> new TaskInput.NoRoom(worker, "worker is at capacity"));
    }

    private static Named<TaskInput> refused() {
        return new Named<>("refused", () -> new TaskInput.Rejected("invalid event: $.data.services: ..."));
    }

    private static Named<TaskInput> agentLost(String worker) {
        return new Named<>("agentLost(" + worker + ")", () -> new TaskInput.AgentLost(worker));
    }

    private static Named<TaskInput> deadline() {
        return new Named<>("deadline", () -> new TaskInput.DeadlineExceeded("maximum task lifetime"));
    }

    @Test
    void snapshot_restoresEverythingDecisionsDependOn() {
        Task task = taskIn("STARTING_A_READY");
        TaskSnapshot snapshot = TaskSnapshot.fromJson(TaskSnapshot.of(task).toJson());
        Task restored = snapshot.restore();
        assertEquals(TaskSnapshot.of(task), TaskSnapshot.of(restored));
        // it goes on exactly as the original would: b ready -> READY, and a replayed event is still a duplicate
        TaskInput lastReady = ready("b", 1).value.get();
        assertEquals(1, TaskStateMachine.apply(restored, "src id-b", lastReady).size());
        assertEquals(TaskPhase.READY, restored.phase());
        assertEquals(List.of(), TaskStateMachine.apply(restored, "src id-b", lastReady));
    }

    private static Named<TaskInput> stopTimedOut() {
        return new Named<>("stopTimedOut", TaskInput.StopTimedOut::new);
    }

    private static Named<TaskInput> starting(String service) {
        return new Named<>("starting(" + service + ")",
                () -> new TaskInput.Starting(new ServiceStarting(TASK, service, WORKER, 1, 42L)));
    }

    private static Named<TaskInput> probe(String service) {
        return new Named<>("probe(" + service + ")",
                () -> new TaskInput.Probed(new ServiceProbe(TASK, service, WORKER, 1, 1, "failure", "refused")));
    }

    private static Named<TaskInput> ready(String service, long generation) {
        return new Named<>("ready(" + service + (generation == 1 ? "" : ", gen " + generation) + ")",
                () -> new TaskInput.Ready(readyEvent(service, generation, Map.of("default", 5000))));
    }

    private static ServiceReady readyEvent(String service, long generation, Map<String, Integer> ports) {
        return new ServiceReady(TASK, service, WORKER, generation, NETNS, "127.0.0.1", ports, 1, 2L, 3);
    }

    private static Named<TaskInput> failed(String service) {
        return new Named<>("failed(" + service + ")",
                () -> new TaskInput.Failed(new ServiceFailed(TASK, service, WORKER, 1, "boom", List.of("x"))));
    }

    private static Named<TaskInput> exited(String service) {
        return new Named<>("exited(" + service + ")",
                () -> new TaskInput.Exited(new ServiceExited(TASK, service, WORKER, 1, 3, List.of("bye"))));
    }

    private static Named<TaskInput> stopped(String service) {
        return new Named<>("stopped(" + service + ")",
                () -> new TaskInput.Stopped(new ServiceStopped(TASK, service, WORKER, 1, "SIGTERM", 50, 0)));
    }
}
