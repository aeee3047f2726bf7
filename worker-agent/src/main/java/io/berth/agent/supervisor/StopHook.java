package io.berth.agent.supervisor;

import io.vertx.core.Future;

/**
 * One concern of tearing a task down (terminate services, remove scratch dirs, release the network).
 * Hooks are idempotent and always run, whatever happened before them.
 */
interface StopHook {
    String name();

    Future<?> stop();
}
