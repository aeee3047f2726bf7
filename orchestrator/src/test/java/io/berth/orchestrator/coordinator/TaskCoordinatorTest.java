package io.berth.orchestrator.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.berth.events.Envelope;
import io.berth.events.EventTypes;
import io.berth.events.payload.NetworkSpec;
import io.berth.events.payload.ServiceReady;
import io.berth.events.payload.ServiceStopped;
import io.berth.events.payload.TaskEnded;
import io.berth.orchestrator.metrics.OrchestratorMetrics;
import io.berth.orchestrator.placement.PlacementChain;
import io.berth.orchestrator.placement.Placer;
import io.berth.orchestrator.state.TaskInput;
import io.berth.orchestrator.state.TaskPhase;
import io.berth.orchestrator.state.TaskRequest.RequestedService;
import io.berth.orchestrator.state.TaskRequest;
import io.berth.orchestrator.state.TaskSnapshot;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The coordinator alone: real placement and timers, hand-written agents and Kafka sinks. */
class TaskCoordinatorTest {
    private static final String TASK = "task-1";
    private static final Duration STOP_TIMEOUT = Duration.ofMillis(300);

    record Output(String type, String taskId, String occurrence, Object payload) {}

    private Vertx vertx;
    /** The coordinator's context. */
    private Context context;
    private OnContext ctx;
    private FakeAgents agents;
    private final List<Output> outputs = new CopyOnWriteArrayList<>();
    private final List<String> stateWrites = new CopyOnWriteArrayList<>();
    /** When set, state writes complete only when the test completes this future. */
    private final AtomicReference<CompletableFuture<Void>> stateAck = new AtomicReference<>();
    private TaskCoordinator coordinator;

    @BeforeEach
    void setUp() {
        vertx = Vertx.vertx();
        context = vertx.getOrCreateContext();
        ctx = new OnContext(context);
        agents = new FakeAgents("w1");
        coordinator = ctx.call(() -> {
            Placer placer = new Placer(vertx, PlacementChain.standard(), 0);
            agents.connected.forEach(w -> placer.heardFrom(agents.candidate(w).orElseThrow()));
            StateStore.Sink state = (taskId, snapshot) -> {
                stateWrites.add(taskId);
                CompletableFuture<Void> ack = stateAck.get();
                return ack != null ? ack : CompletableFuture.completedFuture(null);
            };
            OutputPublisher.Sink out = (type, taskId, occurrence, payload) -> {
                outputs.add(new Output(type, taskId, occurrence, payload));
                return CompletableFuture.completedFuture(null);
            };
            return new TaskCoordinator(vertx, placer, agents, new StateStore(context, state, Duration.ZERO),
                    new OutputPublisher(vertx, context, out, metrics()), metrics(),
                    new TaskCoordinator.Deadlines(STOP_TIMEOUT, Duration.ZERO, Duration.ofHours(1),
                            Duration.ofMillis(100)));
        });
    }

    @AfterEach
    void tearDown() {
        ctx.run(coordinator::stop);
        vertx.close().await();
    }

    @Test
    void taskStarted_isPlacedAndStarted_andReadyIsPublishedOnceEveryServiceIsReady() {
        accept(started("e1", "pg", "redis"));
        assertThat(agents.starts(TASK)).singleElement().satisfies(c -> {
            assertThat(c.getStart().getGeneration()).isEqualTo(1);
            assertThat(c.getStart().getServicesList()).extracting(s -> s.getName()).containsExactly("pg", "redis");
        });
        accept(ready("r1", "pg"));
        assertThat(types()).isEmpty();
        accept(ready("r2", "redis"));

        assertThat(types()).containsExactly(EventTypes.TASK_SERVICES_READY);
        assertThat(phase()).isEqualTo(TaskPhase.READY);
        // a snapshot per turn of the context that changed the task: started and placed (the placement came back at
        // once) together, then each ready
        await().atMost(Duration.ofSeconds(5)).until(() -> stateWrites.size() == 3);
        assertThat(stateWrites).containsOnly(TASK);
        assertThat(coordinator.activeTasks()).isEqualTo(1);
    }

    @Test
    void inputsQueuedWhileTheContextIsBusy_writeTheTaskSnapshotOnce_andAreDoneOnlyOnceItIsAcknowledged()
            throws Exception {
        CompletableFuture<Void> ack = new CompletableFuture<>();
        stateAck.set(ack);
        Inbox inbox = new Inbox(context, coordinator::accept);
        CountDownLatch busy = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        context.runOnContext(v -> {
            busy.countDown();
            waitFor(release);
        });
        assertThat(busy.await(5, TimeUnit.SECONDS)).isTrue();

        List<CompletableFuture<Void>> done = List.of(
                inbox.accept(started("e1", "pg", "redis"), startedInput("pg", "redis")).toCompletableFuture(),
                inbox.accept(ready("r1", "pg"), readyInput("pg")).toCompletableFuture(),
                inbox.accept(ready("r2", "redis"), readyInput("redis")).toCompletableFuture());
        release.countDown();

        await().atMost(Duration.ofSeconds(5)).until(() -> types().contains(EventTypes.TASK_SERVICES_READY));
        await().atMost(Duration.ofSeconds(5)).until(() -> !stateWrites.isEmpty());
        // four changes of the task (started, placed, two readies), one snapshot; nothing is done before it is durable
        assertThat(ctx.call(() -> stateWrites.size())).isEqualTo(1);
        assertThat(done).noneMatch(CompletableFuture::isDone);

        ack.complete(null);
        CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
        assertThat(stateWrites).containsExactly(TASK);
    }

    @Test
    void aChangeAfterTheSnapshotWasTaken_waitsForTheNextSnapshot() {
        CompletableFuture<Void> firstAck = new CompletableFuture<>();
        stateAck.set(firstAck);
        Future<Void> started = ctx.call(() -> coordinator.accept(started("e1", "pg"), startedInput("pg")));
        await().atMost(Duration.ofSeconds(5)).until(() -> stateWrites.size() == 1);
        CompletableFuture<Void> secondAck = new CompletableFuture<>();
        stateAck.set(secondAck);
        Future<Void> ready = ctx.call(() -> coordinator.accept(ready("r1", "pg"), readyInput("pg")));
        await().atMost(Duration.ofSeconds(5)).until(() -> stateWrites.size() == 2);

        firstAck.complete(null);
        await().atMost(Duration.ofSeconds(5)).until(started::isComplete);
        assertThat(ctx.call(ready::isComplete)).isFalse();
        secondAck.complete(null);
        await().atMost(Duration.ofSeconds(5)).until(ready::isComplete);
        assertThat(ready.succeeded()).isTrue();
    }

    @Test
    void duplicateTaskStarted_startsServicesOnce() {
        accept(started("e1", "pg"));
        accept(started("e1", "pg"));
        accept(started("e2", "pg"));

        assertThat(agents.starts(TASK)).hasSize(1);
    }

    @Test
    void startRefusedByTheAgent_answersFailedAndReleasedAtOnce() {
        agents.refuseStarts = "no such runtime";

        accept(started("e1", "pg"));

        await().atMost(Duration.ofSeconds(5)).until(() -> types().size() == 2);
        assertThat(types()).containsExactly(EventTypes.TASK_SERVICES_FAILED, EventTypes.TASK_SERVICES_RELEASED);
        assertThat(phase()).isEqualTo(TaskPhase.RELEASED);
        assertThat(coordinator.activeTasks()).isZero();
    }

    @Test
    void taskEnded_stopsServices_andReleasesWhenEveryServiceStopped() {
        accept(started("e1", "pg"));
        accept(ready("r1", "pg"));
        accept(ended("x1"));
        assertThat(agents.stops(TASK)).singleElement()
                .satisfies(c -> assertThat(c.getStop().getReason()).isEqualTo("task ended: succeeded"));

        accept(stopped("s1", "pg"));

        assertThat(types()).containsExactly(EventTypes.TASK_SERVICES_READY, EventTypes.TASK_SERVICES_RELEASED);
    }

    @Test
    void servicesThatNeverReportStopped_areReleasedAfterTheStopTimeout() {
        accept(started("e1", "pg"));
        accept(ready("r1", "pg"));
        accept(ended("x1"));

        await().atMost(Duration.ofSeconds(5)).until(() -> types().contains(EventTypes.TASK_SERVICES_RELEASED));
        assertThat(phase()).isEqualTo(TaskPhase.RELEASED);
    }

    @Test
    void lostWorker_failsTheTasksItHeld_andStopsThem() {
        accept(started("e1", "pg"));

        ctx.run(() -> coordinator.lost("w1"));

        assertThat(types()).containsExactly(EventTypes.TASK_SERVICES_FAILED);
        assertThat(agents.stops(TASK)).hasSize(1);
        assertThat(phase()).isEqualTo(TaskPhase.FAILED);
    }

    @Test
    void forceRelease_endsTheTaskAsIfTaskEndedCame_andIsEmptyForAnUnknownTask() {
        accept(started("e1", "pg"));

        assertThat(ctx.call(() -> coordinator.forceRelease("nope", "test"))).isEmpty();
        assertThat(ctx.call(() -> coordinator.forceRelease(TASK, "test"))).isPresent();

        assertThat(ctx.call(() -> coordinator.task(TASK).orElseThrow().endedOutcome()))
                .isEqualTo(TaskCoordinator.FORCE_RELEASED);
        assertThat(agents.stops(TASK)).hasSize(1);
    }

    @Test
    void forget_dropsTasksOnlyOnceTheirStateWritesAreAcknowledged() {
        CompletableFuture<Void> ack = new CompletableFuture<>();
        stateAck.set(ack);
        ctx.call(() -> coordinator.accept(envelope("e1", EventTypes.TASK_STARTED), startedInput("pg")));

        Future<Void> forgotten = ctx.call(() -> coordinator.forget(id -> id.equals(TASK)));
        assertThat(forgotten.isComplete()).isFalse();
        assertThat(ctx.call(() -> coordinator.task(TASK))).isPresent();

        ack.complete(null);
        await().atMost(Duration.ofSeconds(5)).until(forgotten::isComplete);
        assertThat(ctx.call(() -> coordinator.task(TASK))).isEmpty();
        assertThat(coordinator.activeTasks()).isZero();
    }

    @Test
    void restore_takesOverWhereThePreviousOwnerStopped() {
        accept(started("e1", "pg"));
        TaskSnapshot snapshot = ctx.call(() -> TaskSnapshot.of(coordinator.task(TASK).orElseThrow()));
        ctx.call(() -> coordinator.forget(id -> true));
        await().atMost(Duration.ofSeconds(5)).until(() -> ctx.call(() -> coordinator.tasks().isEmpty()));

        ctx.run(() -> coordinator.restore(List.of(snapshot)));

        assertThat(agents.starts(TASK)).hasSize(2); // StartServices again: agents apply it once per generation
        assertThat(phase()).isEqualTo(TaskPhase.STARTING);
        assertThat(ctx.call(() -> coordinator.task(TASK).orElseThrow().timeline()))
                .anySatisfy(e -> assertThat(e.event()).isEqualTo("restored"));
    }

    private void accept(Envelope envelope) {
        TaskInput input = switch (envelope.type()) {
            case EventTypes.TASK_STARTED -> startedInput(envelope.data().path("services").asText().split(","));
            case EventTypes.TASK_ENDED -> new TaskInput.Ended(new TaskEnded(TASK, "succeeded"));
            case EventTypes.SERVICE_READY -> readyInput(envelope.data().path("service").asText());
            case EventTypes.SERVICE_STOPPED -> new TaskInput.Stopped(new ServiceStopped(TASK,
                    envelope.data().path("service").asText(), "w1", 1, "SIGTERM", 12, 0));
            default -> throw new IllegalArgumentException(envelope.type());
        };
        ctx.call(() -> coordinator.accept(envelope, input));
    }

    private static TaskInput.Ready readyInput(String service) {
        return new TaskInput.Ready(new ServiceReady(TASK, service, "w1", 1, new NetworkSpec("namespace",
                "/run/netns/x"), "127.0.0.1", Map.of("default", 5432), 1L, 2L, 3L));
    }

    private static void waitFor(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static TaskInput.Started startedInput(String... services) {
        return new TaskInput.Started(new TaskRequest(TASK, null, null,
                List.of(services).stream().map(s -> new RequestedService(s, "{}")).toList(), Map.of()));
    }

    private static Envelope started(String id, String... services) {
        return envelope(id, EventTypes.TASK_STARTED, "services", String.join(",", services));
    }

    private static Envelope ended(String id) {
        return envelope(id, EventTypes.TASK_ENDED);
    }

    private static Envelope ready(String id, String service) {
        return envelope(id, EventTypes.SERVICE_READY, "service", service);
    }

    private static Envelope stopped(String id, String service) {
        return envelope(id, EventTypes.SERVICE_STOPPED, "service", service);
    }

    /** Only what the coordinator reads of an envelope (the input travels beside it); data carries test hints. */
    private static Envelope envelope(String id, String type, String... hint) {
        var data = io.berth.events.json.Json.MAPPER.createObjectNode();
        if (hint.length == 2) {
            data.put(hint[0], hint[1]);
        }
        return new Envelope(id, "test://ci", type, TASK, OffsetDateTime.now(), data);
    }

    private List<String> types() {
        return outputs.stream().map(Output::type).toList();
    }

    private TaskPhase phase() {
        return ctx.call(() -> coordinator.task(TASK).orElseThrow().phase());
    }

    private static OrchestratorMetrics metrics() {
        return new OrchestratorMetrics(new SimpleMeterRegistry());
    }
}
