package io.berth.orchestrator.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.berth.orchestrator.state.Task;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
    void save_writesTheSnapshot_delete_writesATombstone() {
        ctx.run(() -> {
            store.save(new Task("t1"));
            store.delete("t2");
        });

        assertThat(written).containsExactly("t1:snapshot", "t2:tombstone");
    }

    @Test
    void settled_waitsForEveryWriteMadeSoFar_evenAFailingOne() {
        ctx.run(() -> {
            store.save(new Task("t1"));
            store.save(new Task("t2"));
        });
        Future<Void> settled = ctx.call(store::settled);
        assertThat(ctx.call(store::pending)).isEqualTo(2);

        acks.get(0).complete(null);
        assertThat(ctx.call(settled::isComplete)).isFalse();
        acks.get(1).completeExceptionally(new IllegalStateException("broker away"));

        await().atMost(Duration.ofSeconds(5)).until(settled::isComplete);
        assertThat(settled.succeeded()).isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> ctx.call(store::pending) == 0);
    }

    @Test
    void settled_withNothingPending_isDoneAtOnce() {
        assertThat(ctx.call(() -> store.settled().isComplete())).isTrue();
    }
}
