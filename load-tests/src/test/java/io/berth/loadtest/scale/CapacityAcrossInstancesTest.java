package io.berth.loadtest.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.berth.loadtest.fleet.SimulatedFleet;
import io.berth.loadtest.generator.BenchService;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Capacity holds across orchestrator instances: three instances (processes of their own, one consumer group) place
 * tasks on the same small workers while tasks keep arriving, and one instance leaves in the middle, so its tasks and
 * its partitions move to the others. No worker ever runs more services than its capacity, and no task fails for want
 * of room while the fleet has room: a start a worker refuses as over its capacity is placed on another worker.
 */
class CapacityAcrossInstancesTest {
    private static final int WORKERS = 100;
    private static final int CAPACITY = 4;
    private static final int SERVICES_PER_TASK = 2;
    /** 300 of the fleet's 400 service slots. */
    private static final int TASKS = 150;

    @TempDir
    Path logs;

    @Test
    void threeInstances_handoverUnderLoad_noWorkerOverCommitted() throws Exception {
        List<SimulatedFleet.Worker> workers = new ArrayList<>();
        for (int i = 0; i < WORKERS; i++) {
            workers.add(new SimulatedFleet.Worker(String.format("c-%03d", i), CAPACITY));
        }
        try (ScaleStack stack = ScaleStack.start(new ScaleStack.Options(3, 6, 6000, List.of("-Xmx256m"), List.of(),
                workers, 0, 2000, logs, Path.of("target", "scale-ca")));
             LiveTasks tasks = new LiveTasks(stack.bootstrapServers())) {
            var starting = CompletableFuture.runAsync(() -> tasks.start(TASKS, 50, BenchService.BUSYBOX,
                    SERVICES_PER_TASK));
            // a third of the way in, one instance leaves: its partitions (and the tasks on them) go to the others
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100))
                    .until(() -> stack.activeTasks() >= TASKS / 3);
            stack.stop(2);
            starting.get();
            assertThat(tasks.awaitReady(Duration.ofMinutes(2))).as("every task answered").isTrue();

            // instances see each other's tasks only in the agents' heartbeats, so two may choose the same worker
            // between two of them; the agent refuses what it has no room for and the task goes elsewhere
            SimulatedFleet fleet = stack.fleet();
            assertThat(tasks.failed()).as("tasks failed, e.g. %s (workers refused %d starts for want of room)",
                    tasks.errorSamples(), fleet.capacityRefusals()).isZero();
            assertThat(fleet.activeServices()).as("every task's services run").isEqualTo(TASKS * SERVICES_PER_TASK);
            assertThat(fleet.stats()).allSatisfy(s -> assertThat(s.peakServices())
                    .as("peak services on %s", s.worker()).isLessThanOrEqualTo(CAPACITY));
            assertThat(tasks.endAll(Duration.ofMinutes(2))).as("every task released").isTrue();
        }
    }
}
