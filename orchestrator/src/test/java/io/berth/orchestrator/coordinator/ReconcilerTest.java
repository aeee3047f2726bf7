package io.berth.orchestrator.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.berth.orchestrator.ingress.StateReader;
import io.berth.orchestrator.state.Task;
import io.berth.orchestrator.state.TaskInput;
import io.berth.orchestrator.state.TaskRequest;
import io.berth.orchestrator.state.TaskStateMachine;
import io.berth.protocol.RunningTask;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ReconcilerTest {
    private static final int PARTITIONS = 3;

    private final Vertx vertx = Vertx.vertx();
    private final OnContext ctx = new OnContext(vertx.getOrCreateContext());
    private final FakeAgents agents = new FakeAgents("w1");
    private final Map<String, Task> known = new ConcurrentHashMap<>();
    private final Reconciler reconciler = new Reconciler(vertx, agents, known::get, Duration.ofMillis(100));

    @AfterEach
    void close() {
        vertx.close().await();
    }

    @Test
    void servicesOfATaskThatIsOver_areStopped() {
        Task task = released("t1", "w1");
        known.put("t1", task);

        ctx.run(() -> reconciler.reconcile("w1", List.of(running("t1", 1))));

        assertThat(agents.stops("t1")).singleElement().satisfies(c -> assertThat(c.getStop().getReason())
                .isEqualTo("task is released; services left running"));
    }

    @Test
    void servicesOfAnotherGenerationOrWorker_areLeftAlone() {
        known.put("t1", released("t1", "w1"));

        ctx.run(() -> {
            reconciler.reconcile("w1", List.of(running("t1", 2)));
            reconciler.reconcile("w2", List.of(running("t1", 1)));
        });

        assertThat(agents.sent).isEmpty();
    }

    @Test
    void anUnknownTaskOfAnOwnedPartition_isStoppedAfterTheGrace_ifStillUnknown() {
        ctx.run(() -> reconciler.partitionsChanged(Set.of(0, 1, 2), PARTITIONS, true));

        ctx.run(() -> reconciler.reconcile("w1", List.of(running("stray", 1), running("late", 1))));
        known.put("late", released("late", "w9")); // its events came within the grace

        await().atMost(Duration.ofSeconds(5)).until(() -> agents.stops("stray").size() == 1);
        assertThat(agents.stops("stray").get(0).getStop().getReason()).isEqualTo("task unknown to the orchestrator");
        assertThat(agents.stops("late")).isEmpty();
    }

    @Test
    void anUnknownTaskOfAnotherInstancesPartition_isTheirsToReconcile() {
        String task = "t-elsewhere";
        int partition = StateReader.partitionOf(task, PARTITIONS);
        ctx.run(() -> reconciler.partitionsChanged(Set.of((partition + 1) % PARTITIONS), PARTITIONS, true));

        ctx.run(() -> reconciler.reconcile("w1", List.of(running(task, 1))));

        assertThat(ctx.call(() -> reconciler.owns(task))).isFalse();
        await().during(Duration.ofMillis(400)).atMost(Duration.ofSeconds(2)).until(agents.sent::isEmpty);
    }

    @Test
    void assignedPartitions_reconcileEveryConnectedAgentAgain() {
        known.put("t1", released("t1", "w1"));
        agents.inventories.put("w1", List.of(running("t1", 1)));

        ctx.run(() -> reconciler.partitionsChanged(Set.of(0), PARTITIONS, true));

        assertThat(agents.stops("t1")).hasSize(1);
    }

    private static RunningTask running(String taskId, long generation) {
        return RunningTask.newBuilder().setTaskId(taskId).setGeneration(generation).addServices("pg").build();
    }

    /** A task that ran on {@code worker} (generation 1) and was released. */
    private static Task released(String taskId, String worker) {
        Task task = new Task(taskId);
        TaskStateMachine.apply(task, "k1", new TaskInput.Started(new TaskRequest(taskId, null, null,
                List.of(new TaskRequest.RequestedService("pg", "{}")), Map.of())));
        TaskStateMachine.apply(task, null, new TaskInput.Placed(worker));
        TaskStateMachine.apply(task, null, new TaskInput.StartRejected(worker, "refused"));
        return task;
    }
}
