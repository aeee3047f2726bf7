package io.berth.agent.runtime;

import io.vertx.core.Future;

/** Starts services. One implementation per way of running them (process; container and prototype later). */
public interface ServiceRuntime {

    /**
     * Launches a service. Completes once the service runs (not once it is ready); fails with a
     * {@link ServiceStartException} whose message names the service and says why it could not run.
     */
    Future<ServiceProcess> start(ServiceLaunch launch);

    /**
     * Launches a service once its network is there: {@code netns} completes with the path of the network namespace
     * it runs in (null: the host network), or fails, and then nothing runs and the start fails with its cause. A
     * runtime may set up meanwhile what does not depend on the network; once the start completes nothing of that is
     * left behind on failure.
     */
    default Future<ServiceProcess> start(ServiceLaunch launch, Future<String> netns) {
        return netns.compose(path -> start(launch.inNetwork(path)));
    }

    /**
     * Takes over a service a crashed agent launched as {@code pid} (start time {@code startTicks}, to tell a reused
     * pid apart): the process it runs as, or one that already exited when the pid no longer is that service. Fails
     * when this runtime cannot take services over.
     */
    default Future<ServiceProcess> reattach(ServiceLaunch launch, long pid, long startTicks) {
        return Future.failedFuture(new ServiceStartException(launch.service(),
                "this runtime cannot re-attach to a service after an agent restart"));
    }

    /** Removes what the runtime kept for a whole task, once every service of it is gone; idempotent. */
    default Future<Void> releaseTask(String taskId) {
        return Future.succeededFuture();
    }

    /**
     * Removes what crashed agents left in this runtime that the journal does not know of (containers, say), but
     * for the tasks in {@code reattached} (task ids), whose services this agent takes over. Called at agent start,
     * before any task starts: once the agent claimed its state directory, before the journal's reaper kills
     * anything (with the tasks it is about to re-attach), and again for each task whose re-attach failed (with the
     * others).
     * Completes with one line per thing removed; never fails.
     */
    default Future<java.util.List<String>> reapOrphans(java.util.Set<String> reattached) {
        return Future.succeededFuture(java.util.List.of());
    }
}
