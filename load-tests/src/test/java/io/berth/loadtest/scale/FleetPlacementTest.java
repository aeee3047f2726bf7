package io.berth.loadtest.scale;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.loadtest.fleet.SimulatedAgent;
import io.berth.loadtest.fleet.SimulatedFleet;
import io.berth.loadtest.generator.BenchService;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Placement across a thousand workers under load, through the real broker, the real orchestrator (a process of its
 * own, as deployed) and real gRPC with mutual TLS: workers of different capacities, some drained; tasks arrive at
 * hundreds per second and stay, until the small workers are full. No worker ever gets more than its capacity, no
 * drained worker gets anything, and each task went to the worker with the fewest active services that had room.
 */
class FleetPlacementTest {
    private static final int WORKERS = 1000;
    private static final int SERVICES_PER_TASK = 2;
    /** Capacities cycle through these: 6,000 services in all, 5,400 on workers not drained. */
    private static final int[] CAPACITIES = {2, 4, 6, 8, 10};
    /** 4,800 services: the workers of capacity 2, 4 and 6 fill up, those of 8 and 10 keep room. */
    private static final int TASKS = 2400;

    @TempDir
    Path logs;

    @Test
    void thousandWorkers_differentCapacitiesAndDrains_fairAndNeverOverCapacity() {
        List<SimulatedFleet.Worker> workers = new ArrayList<>();
        for (int i = 0; i < WORKERS; i++) {
            workers.add(new SimulatedFleet.Worker(String.format("w-%04d", i), CAPACITIES[i % CAPACITIES.length]));
        }
        Set<String> drained = workers.stream().filter(w -> Integer.parseInt(w.name().substring(2)) % 10 == 3)
                .map(SimulatedFleet.Worker::name).collect(Collectors.toSet());
        try (ScaleStack stack = ScaleStack.start(new ScaleStack.Options(1, 6, 6000, List.of("-Xmx512m"), List.of(),
                workers, 0, 2000, logs, Path.of("target", "scale-ca")));
             LiveTasks tasks = new LiveTasks(stack.bootstrapServers())) {
            drained.forEach(w -> stack.drain(w, true));

            tasks.start(TASKS, 400, BenchService.BUSYBOX, SERVICES_PER_TASK);
            assertThat(tasks.awaitReady(Duration.ofMinutes(2))).as("every task answered").isTrue();
            assertThat(tasks.failed()).as("tasks failed, e.g. %s", tasks.errorSamples()).isZero();

            SimulatedFleet fleet = stack.fleet();
            Map<String, SimulatedAgent.Stats> byWorker = fleet.stats().stream()
                    .collect(Collectors.toMap(SimulatedAgent.Stats::worker, Function.identity()));
            assertThat(fleet.capacityRefusals()).as("StartServices refused by a full worker").isZero();
            assertThat(byWorker.values()).allSatisfy(s -> assertThat(s.peakServices())
                    .as("peak services on %s", s.worker()).isLessThanOrEqualTo(s.capacity()));
            assertThat(drained).allSatisfy(w -> assertThat(byWorker.get(w).starts())
                    .as("tasks placed on drained worker %s", w).isZero());
            assertThat(byWorker.values().stream().mapToInt(SimulatedAgent.Stats::activeServices).sum())
                    .isEqualTo(TASKS * SERVICES_PER_TASK);

            // fewest active services first: no worker holds more than one task's worth above any worker that
            // still has room for a task (had it been chosen instead, the spread would be smaller)
            List<SimulatedAgent.Stats> placeable = byWorker.values().stream()
                    .filter(s -> !drained.contains(s.worker())).toList();
            int leastWithRoom = placeable.stream()
                    .filter(s -> s.activeServices() + SERVICES_PER_TASK <= s.capacity())
                    .mapToInt(SimulatedAgent.Stats::activeServices).min().orElseThrow();
            assertThat(placeable).allSatisfy(s -> assertThat(s.activeServices())
                    .as("services on %s (capacity %d) against %d on the least busy worker with room", s.worker(),
                            s.capacity(), leastWithRoom)
                    .isLessThanOrEqualTo(leastWithRoom + SERVICES_PER_TASK));
            assertThat(placeable.stream().filter(s -> s.capacity() <= 6))
                    .as("the small workers filled up").allSatisfy(s -> assertThat(s.activeServices())
                            .isEqualTo(s.capacity()));

            assertThat(tasks.endAll(Duration.ofMinutes(2))).as("every task released").isTrue();
            assertThat(fleet.activeServices()).isZero();
        }
    }
}
