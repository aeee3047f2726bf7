package io.berth.orchestrator.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.berth.orchestrator.state.Task;
import io.berth.orchestrator.state.TaskInput;
import io.berth.orchestrator.state.TaskRequest;
import io.berth.orchestrator.state.TaskStateMachine;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The timers alone, with short durations: what each feeds back, and when it must not. */
class TaskTimersTest {
    private final Vertx vertx = Vertx.vertx();
    private final OnContext ctx = new OnContext(vertx.getOrCreateContext());
    private final List<TaskInput> fired = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() {
        vertx.close().await();
    }

    private TaskTimers timers(Duration maxLifetime, Duration stopTimeout) {
        return ctx.call(() -> new TaskTimers(vertx, maxLifetime, stopTimeout, (task, input) -> fired.add(input)));
    }

    /** A task in PLACING, accepted now, with the lease its request asks for. */
    private static Task placing(Integer leaseSeconds) {
        Task task = new Task("t1");
        task.acceptedAtMillis(System.currentTimeMillis());
        TaskStateMachine.apply(task, "k1", new TaskInput.Started(new TaskRequest("t1", null, null,
                List.of(new TaskRequest.RequestedService("pg", "{}")), Map.of(), leaseSeconds)));
        return task;
    }

    @Test
    void aTaskPastItsMaximumLifetime_getsDeadlineExceeded_andItsTimelineSaysWhy() {
        TaskTimers timers = timers(Duration.ofMillis(100), Duration.ofSeconds(60));
        Task task = placing(null);

        ctx.run(() -> timers.armDeadline(task));

        await().atMost(Duration.ofSeconds(5)).until(() -> fired.size() == 1);
        assertThat(fired.get(0)).isInstanceOf(TaskInput.DeadlineExceeded.class);
        assertThat(((TaskInput.DeadlineExceeded) fired.get(0)).reason()).contains("maximum task lifetime");
        assertThat(ctx.call(task::timeline)).anySatisfy(e -> assertThat(e.event()).isEqualTo("deadline"));
    }

    @Test
    void aZeroLifetime_armsNoDeadline() {
        TaskTimers timers = timers(Duration.ZERO, Duration.ofSeconds(60));

        ctx.run(() -> timers.armDeadline(placing(null)));

        assertThat(ctx.call(() -> timers.hasDeadline("t1"))).isFalse();
    }

    @Test
    void aReleasedTask_losesItsTimers() {
        TaskTimers timers = timers(Duration.ofMillis(300), Duration.ofMillis(300));
        Task task = placing(null);
        ctx.run(() -> timers.armDeadline(task));

        ctx.run(() -> {
            TaskStateMachine.apply(task, "k2", new TaskInput.Ended(new io.berth.events.payload.TaskEnded("t1", "ok")));
            timers.phaseChanged(task);
        });

        assertThat(ctx.call(() -> timers.hasDeadline("t1"))).isFalse();
        // a stop timer armed meanwhile for a task no longer stopping feeds nothing back either
        ctx.run(() -> timers.armStop(task));
        await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(2)).until(fired::isEmpty);
    }

    @Test
    void stopTimeout_firesStopTimedOut_forATaskStillStopping() {
        TaskTimers timers = timers(Duration.ZERO, Duration.ofMillis(100));
        Task task = placing(null);
        ctx.run(() -> {
            TaskStateMachine.apply(task, null, new TaskInput.Placed("w1"));
            TaskStateMachine.apply(task, "k2", new TaskInput.Ended(new io.berth.events.payload.TaskEnded("t1", "ok")));
            timers.armStop(task);
        });

        await().atMost(Duration.ofSeconds(5)).until(() -> fired.size() == 1);
        assertThat(fired.get(0)).isInstanceOf(TaskInput.StopTimedOut.class);
    }

    @Test
    void aLeaseNotRenewed_expires_andAHeartbeatPushesItBack() {
        TaskTimers timers = timers(Duration.ZERO, Duration.ofSeconds(60));
        Task task = placing(1);

        ctx.run(() -> timers.startLease(task));
        assertThat(ctx.call(() -> timers.hasLease("t1"))).isTrue();
        // heartbeats every 300 ms keep a 1 s lease alive well past its length
        long heartbeats = ctx.call(() -> vertx.setPeriodic(300, id -> timers.renewLease(task, null)));
        await().during(Duration.ofMillis(1_500)).atMost(Duration.ofSeconds(3)).until(fired::isEmpty);

        ctx.run(() -> vertx.cancelTimer(heartbeats));

        await().atMost(Duration.ofSeconds(5)).until(() -> fired.size() == 1);
        assertThat(((TaskInput.DeadlineExceeded) fired.get(0)).reason()).startsWith("lease expired");
    }

    @Test
    void forget_cancelsEveryTimerOfTheTask() {
        TaskTimers timers = timers(Duration.ofMillis(200), Duration.ofMillis(200));
        Task task = placing(1);
        ctx.run(() -> {
            timers.armDeadline(task);
            timers.startLease(task);
            timers.forget("t1");
        });

        await().during(Duration.ofMillis(1_300)).atMost(Duration.ofSeconds(3)).until(fired::isEmpty);
    }
}
