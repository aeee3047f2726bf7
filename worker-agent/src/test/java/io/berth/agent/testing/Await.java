package io.berth.agent.testing;

import io.vertx.core.Future;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Blocks the test thread (never an event loop) until a future completes. */
public final class Await {
    private Await() {}

    public static <T> T result(Future<T> future, Duration atMost) throws Exception {
        try {
            return future.toCompletionStage().toCompletableFuture().get(atMost.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    public static <T> T result(Future<T> future) throws Exception {
        return result(future, Duration.ofSeconds(30));
    }

    public static Throwable failure(Future<?> future) throws Exception {
        try {
            result(future);
        } catch (Exception e) {
            return e;
        }
        throw new AssertionError("expected the future to fail");
    }
}
