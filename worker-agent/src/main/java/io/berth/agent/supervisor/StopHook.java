package io.berth.agent.supervisor;

import io.vertx.core.Future;
import java.util.function.Supplier;

/**
 * One concern of tearing a task down (terminate services, remove scratch dirs, release the network).
 * Hooks are idempotent and always run, whatever happened before them.
 */
interface StopHook {
    String name();

    Future<?> stop();

    /** The hook called {@code name} that runs {@code stop}. */
    static StopHook of(String name, Supplier<Future<?>> stop) {
        return new StopHook() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Future<?> stop() {
                return stop.get();
            }
        };
    }
}
