package io.berth.agent.runtime;

import io.berth.agent.os.Signal;
import io.berth.agent.logs.ServiceLog;
import io.vertx.core.Future;

import java.time.Duration;

/**
 * A launched service's lifecycle: its exit, the signals and requests that stop it, and the removal of what was set up
 * for it. What the launch fixed (pid, instant, log, how programs run beside it) is {@link #launched()}.
 */
public interface ServiceProcess {

    /**
     * What a launch fixed.
     *
     * @param pid             the pid the agent knows: its launcher's (also the service's process group), or a
     *                        container's init
     * @param startedAtMillis when it was launched (epoch ms)
     * @param startedAtNanos  the same instant ({@link System#nanoTime()}), for measuring
     * @param log             where its output goes
     * @param execContext     where and as whom it runs; command probes run the same way
     */
    record Launched(long pid, long startedAtMillis, long startedAtNanos, ServiceLog log, ExecContext execContext) {}

    Launched launched();

    /** Completes with the exit code when the service exits (128+N when killed by signal N). */
    Future<Integer> exit();

    /**
     * Sends {@code signal} (e.g. {@code SIGTERM}) to the whole process group, so children die too.
     * {@code SIGKILL} also reaches descendants that left the group (postgres puts each backend in its
     * own session). Completes with false if no process of the group was left to receive it.
     */
    Future<Boolean> signalGroup(Signal signal);

    /**
     * Whether any of the service's processes still runs: the leader, a member of its process group, or
     * a descendant seen when it was signalled. The leader may be gone while children live on.
     */
    Future<Boolean> anyAlive();

    /** Removes what the runtime set up for the service (scratch directory); idempotent. Call after it exited. */
    Future<Void> cleanup();

    /**
     * The signal a polite stop ({@code signalGroup(SIGTERM)}) actually delivers, as the release reports it:
     * SIGTERM, or a container image's own {@code STOPSIGNAL} (postgres: SIGINT), which the engine sends instead.
     */
    default Signal stopSignal() {
        return Signal.SIGTERM;
    }

    /**
     * Asks the service to stop by its own means before it is signalled: a prototype's {@code down} message.
     * Completes once that is done or {@code within} has passed, never with a failure; whatever the request
     * left running is then terminated as usual (SIGTERM, the rest of the grace period, SIGKILL). Idempotent.
     * Plain processes have nothing to ask.
     */
    default Future<Void> requestStop(Duration within) {
        return Future.succeededFuture();
    }

    /** Whether its exit is still to come. */
    default boolean isAlive() {
        return !exit().isComplete();
    }

    /** Its exit code, or null while it runs. */
    default Integer exitCode() {
        return exit().isComplete() && exit().succeeded() ? exit().result() : null;
    }
}
