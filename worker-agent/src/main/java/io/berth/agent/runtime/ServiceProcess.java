package io.berth.agent.runtime;

import io.berth.agent.os.Signal;
import io.berth.agent.logs.ServiceLog;
import io.vertx.core.Future;

import java.time.Duration;

/** A launched service: the leader of its own process group. */
public interface ServiceProcess {

    /** Pid of the service, which is also its process group id. */
    long pid();

    /** When it was launched (epoch ms). */
    long startedAtMillis();

    /** When it was launched ({@link System#nanoTime()}), for measuring. */
    long startedAtNanos();

    /** Completes with the exit code when the service process exits (128+N when killed by signal N). */
    Future<Integer> exit();

    /** Exit code, or null while it runs. */
    Integer exitCode();

    boolean isAlive();

    /**
     * Sends {@code signal} (e.g. {@code SIGTERM}) to the whole process group, so children die too.
     * {@code SIGKILL} also reaches descendants that left the group (postgres puts each backend in its
     * own session). Completes with false if no process of the group was left to receive it.
     */
    Future<Boolean> signalGroup(Signal signal);

    /**
     * The signal a polite stop ({@code signalGroup(SIGTERM)}) actually delivers, as the release reports it:
     * SIGTERM, or a container image's own {@code STOPSIGNAL} (postgres: SIGINT), which the engine sends instead.
     */
    default Signal stopSignal() {
        return Signal.SIGTERM;
    }

    /**
     * Whether any of the service's processes still runs: the leader, a member of its process group, or
     * a descendant seen when it was signalled. The leader may be gone while children live on.
     */
    Future<Boolean> anyAlive();

    ServiceLog log();

    /** Where and as whom the service runs; command probes run the same way. */
    ExecContext execContext();

    /**
     * Asks the service to stop by its own means before it is signalled: a prototype's {@code down} message.
     * Completes once that is done or {@code within} has passed, never with a failure; whatever the request
     * left running is then terminated as usual (SIGTERM, the rest of the grace period, SIGKILL). Idempotent.
     * Plain processes have nothing to ask.
     */
    default Future<Void> requestStop(Duration within) {
        return Future.succeededFuture();
    }

    /** Removes what the runtime set up for the service (scratch directory); idempotent. Call after it exited. */
    Future<Void> cleanup();
}
