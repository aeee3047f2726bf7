package io.berth.orchestrator.coordinator;

import io.vertx.core.Context;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** Runs test steps on the one Vert.x context the coordinator's parts require, and waits for them. */
final class OnContext {
    private final Context context;

    OnContext(Context context) {
        this.context = context;
    }

    <T> T call(Supplier<T> step) {
        CompletableFuture<T> done = new CompletableFuture<>();
        context.runOnContext(v -> {
            try {
                done.complete(step.get());
            } catch (Throwable e) {
                done.completeExceptionally(e);
            }
        });
        try {
            return done.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("step on the context failed", e);
        }
    }

    void run(Runnable step) {
        call(() -> {
            step.run();
            return null;
        });
    }
}
