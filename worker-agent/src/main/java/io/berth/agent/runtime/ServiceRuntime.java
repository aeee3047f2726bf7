package io.berth.agent.runtime;

import io.vertx.core.Future;

/** Starts services. One implementation per way of running them (process; container and prototype later). */
public interface ServiceRuntime {

    /**
     * Launches a service. Completes once the service runs (not once it is ready); fails with a
     * {@link ServiceStartException} whose message names the service and says why it could not run.
     */
    Future<ServiceProcess> start(ServiceLaunch launch);

    /** Removes what the runtime kept for a whole task, once every service of it is gone; idempotent. */
    default Future<Void> releaseTask(String taskId) {
        return Future.succeededFuture();
    }

    /**
     * Removes what crashed agents left in this runtime that the journal does not know of (containers, say).
     * Called once at agent start, after the agent claimed its state directory and before any task starts.
     * Completes with one line per thing removed; never fails.
     */
    default Future<java.util.List<String>> reapOrphans() {
        return Future.succeededFuture(java.util.List.of());
    }
}
