package io.berth.agent.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Tearing a task down runs every hook, stage after stage, whatever the hooks before it did. */
class StopHooksTest {
    private final List<String> ran = new ArrayList<>();

    @Test
    void everyHookRuns_inOrder_andTheFailuresAreCollected_notThrown() {
        Future<List<String>> errors = StopHooks.runInStages("task t1", List.of(
                List.of(hook("terminate", () -> Future.failedFuture("pid 42 survived SIGKILL"))),
                List.of(hook("scratch", () -> {
                    throw new IllegalStateException("disk gone");
                })),
                List.of(hook("network", Future::succeededFuture)),
                List.of(hook("cgroup", () -> Future.failedFuture(new IllegalArgumentException("busy"))))));

        assertThat(ran).containsExactly("terminate", "scratch", "network", "cgroup");
        assertThat(errors.succeeded()).as("a stop never fails: its errors are reported").isTrue();
        assertThat(errors.result()).containsExactly(
                "terminate: pid 42 survived SIGKILL", "scratch: disk gone", "cgroup: busy");
    }

    @Test
    void aStageStartsOnlyOnceTheOneBeforeItIsDone() {
        Promise<Void> terminated = Promise.promise();

        Future<List<String>> errors = StopHooks.runInStages("task t1", List.of(
                List.of(hook("terminate", terminated::future)),
                List.of(hook("network", Future::succeededFuture))));

        assertThat(ran).as("the network is released only after the services are gone").containsExactly("terminate");
        assertThat(errors.isComplete()).isFalse();

        terminated.complete();

        assertThat(ran).containsExactly("terminate", "network");
        assertThat(errors.result()).isEmpty();
    }

    @Test
    void theHooksOfAStageRunTogether_andTheNextStageWaitsForAllOfThem() {
        Promise<Void> terminated = Promise.promise();
        Promise<Void> scratchRemoved = Promise.promise();

        Future<List<String>> errors = StopHooks.runInStages("task t1", List.of(
                List.of(hook("terminate", terminated::future)),
                List.of(hook("scratch", scratchRemoved::future), hook("network", () -> Future.failedFuture("busy"))),
                List.of(hook("report", Future::succeededFuture))));

        assertThat(ran).containsExactly("terminate");
        terminated.complete();
        assertThat(ran).as("files and network go at the same time").containsExactly("terminate", "scratch", "network");
        assertThat(errors.isComplete()).isFalse();

        scratchRemoved.complete();

        assertThat(ran).containsExactly("terminate", "scratch", "network", "report");
        assertThat(errors.result()).containsExactly("network: busy");
    }

    private StopHook hook(String name, Supplier<Future<?>> stop) {
        return StopHook.of(name, () -> {
            ran.add(name);
            return stop.get();
        });
    }
}
