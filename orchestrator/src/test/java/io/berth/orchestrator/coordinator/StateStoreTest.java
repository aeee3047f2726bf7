package io.berth.orchestrator.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.berth.orchestrator.state.StateRecord;
import io.berth.orchestrator.state.Task;
import io.berth.orchestrator.state.TaskPhase;
import io.berth.orchestrator.state.TaskRequest;
import io.berth.orchestrator.state.TaskSnapshot;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StateStoreTest {
    private final Vertx vertx = Vertx.vertx();
    private final OnContext ctx = new OnContext(vertx.getOrCreateContext());
    private final List<CompletableFuture<Void>> acks = new ArrayList<>();
    private final List<String> written = new ArrayList<>();
    private final StateStore store = new StateStore(vertx.getOrCreateContext(), (taskId, snapshot) -> {
        written.add(taskId + (snapshot == null ? ":tombstone" : ":snapshot"));
        CompletableFuture<Void> ack = new CompletableFuture<>();
        acks.add(ack);
        return ack;
    });

    @AfterEach
    void close() {
        vertx.close().await();
    }

    @Test
    void save_writesTheSnapshotAfterTheTurn_delete_writesATombstoneAtOnce() {
        ctx.run(() -> {
            store.save(new Task("t1"));
            store.delete("t2");
            assertThat(written).containsExactly("t2:tombstone");
        });

        await().atMost(Duration.ofSeconds(5)).until(() -> ctx.call(() -> written.size()) == 2);
        assertThat(written).containsExactly("t2:tombstone", "t1:snapshot");
    }

    @Test
    void savesOfOneTaskInOneTurn_writeOneSnapshot_andEachIsDoneOnlyWhenItIsAcknowledged() {
        Task t1 = new Task("t1");
        List<Future<?>> saves = ctx.call(() -> List.of(store.save(t1), store.save(t1), store.save(new Task("t2")),
                store.save(t1)));

        await().atMost(Duration.ofSeconds(5)).until(() -> ctx.call(() -> written.size()) == 2);
        assertThat(written).containsExactly("t1:snapshot", "t2:snapshot");
        assertThat(ctx.call(() -> saves.stream().noneMatch(Future::isComplete))).isTrue();

        acks.get(0).complete(null);
        await().atMost(Duration.ofSeconds(5)).until(() -> ctx.call(() -> saves.get(3).isComplete()));
        assertThat(ctx.call(() -> List.of(saves.get(0).succeeded(), saves.get(1).succeeded(), saves.get(2).isComplete())))
                .containsExactly(true, true, false);

        ctx.run(() -> store.save(t1)); // a change after the snapshot was taken: another one
        await().atMost(Duration.ofSeconds(5)).until(() -> ctx.call(() -> written.size()) == 3);
    }

    @Test
    void aSaveNotWrittenYet_thenDelete_writesOnlyTheTombstone() {
        Future<?> saved = ctx.call(() -> {
            Future<?> s = store.save(new Task("t1"));
            store.delete("t1");
            return s;
        });
        acks.get(0).complete(null);

        await().atMost(Duration.ofSeconds(5)).until(() -> ctx.call(saved::isComplete));
        ctx.run(() -> { }); // a turn after the one a flush was scheduled in
        assertThat(ctx.call(() -> List.copyOf(written))).containsExactly("t1:tombstone");
    }

    @Test
    void aSnapshotTooLargeToWrite_failsItsSaves_notTheOthers() {
        TaskRequest request = new TaskRequest("huge", null, null, List.of(new TaskRequest.RequestedService("pg",
                "\"" + "x".repeat(StateRecord.MAX_BYTES) + "\"")), Map.of());
        Task huge = new TaskSnapshot("huge", TaskPhase.PLACING, request, null, 0, null, null, 0, 0, List.of(),
                List.of()).restore();
        List<Future<?>> saves = ctx.call(() -> List.of(store.save(huge), store.save(new Task("t2"))));

        await().atMost(Duration.ofSeconds(5)).until(() -> ctx.call(() -> saves.get(0).isComplete()));
        assertThat(ctx.call(() -> saves.get(0).cause())).isInstanceOf(
                StateRecord.TooLargeException.class);
        assertThat(ctx.call(() -> List.copyOf(written))).containsExactly("t2:snapshot");
    }

    @Test
    void settled_writesWhatIsSavedButNotWrittenYet_andWaitsForEveryWriteMadeSoFar_evenAFailingOne() {
        Future<Void> settled = ctx.call(() -> {
            store.save(new Task("t1"));
            store.save(new Task("t2"));
            return store.settled();
        });
        assertThat(ctx.call(store::pending)).isEqualTo(2);
        assertThat(written).containsExactly("t1:snapshot", "t2:snapshot");

        acks.get(0).complete(null);
        assertThat(ctx.call(settled::isComplete)).isFalse();
        acks.get(1).completeExceptionally(new IllegalStateException("broker away"));

        await().atMost(Duration.ofSeconds(5)).until(settled::isComplete);
        assertThat(settled.succeeded()).isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> ctx.call(store::pending) == 0);
    }

    @Test
    void changesWithinTheWindow_acrossTurns_writeOneSnapshot_andTheWindowsEndWritesIt() {
        List<String> writes = new ArrayList<>();
        StateStore windowed = acknowledgedAtOnce(Duration.ofMillis(300), writes);
        Task t1 = new Task("t1");
        long began = System.nanoTime();
        Future<?> first = ctx.call(() -> windowed.save(t1));
        Future<?> second = ctx.call(() -> windowed.save(t1)); // a later turn of the context, the same window
        Future<?> other = ctx.call(() -> windowed.save(new Task("t2")));

        await().atMost(Duration.ofSeconds(5)).until(() -> ctx.call(() -> writes.size()) == 2);
        assertThat((System.nanoTime() - began) / 1_000_000).isGreaterThanOrEqualTo(300);
        assertThat(ctx.call(() -> List.copyOf(writes))).containsExactly("t1", "t2");
        await().atMost(Duration.ofSeconds(5)).until(() -> ctx.call(() -> first.succeeded() && second.succeeded()
                && other.succeeded()));
    }

    @Test
    void settled_writesAtOnce_whateverIsLeftOfTheWindow() {
        List<String> writes = new ArrayList<>();
        StateStore windowed = acknowledgedAtOnce(Duration.ofHours(1), writes);
        Future<Void> settled = ctx.call(() -> {
            windowed.save(new Task("t1"));
            return windowed.settled();
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> ctx.call(settled::isComplete));
        assertThat(ctx.call(() -> List.copyOf(writes))).containsExactly("t1");
    }

    /** A store with {@code window} whose writes are acknowledged at once, their task ids in {@code writes}. */
    private StateStore acknowledgedAtOnce(Duration window, List<String> writes) {
        return ctx.call(() -> new StateStore(vertx.getOrCreateContext(), (taskId, snapshot) -> {
            writes.add(taskId);
            return CompletableFuture.completedFuture(null);
        }, window));
    }

    @Test
    void settled_withNothingPending_isDoneAtOnce() {
        assertThat(ctx.call(() -> store.settled().isComplete())).isTrue();
    }
}
