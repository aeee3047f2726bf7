package io.berth.agent.probe;

/**
 * One readiness check. {@link #check()} is a single synchronous decision step — it may block (it
 * runs on a worker thread) and never throws: it answers success, failure or error. Timing, counting
 * and deadlines belong to {@link ProbeRunner}.
 */
public interface Probe {

    ProbeResult check();

    /** How often this probe is worth running while the service starts. */
    default Pace pace() {
        return Pace.COMMAND;
    }

    /**
     * Whether a check answers in microseconds without blocking (it only reads {@code /proc}): such a probe runs on
     * the service's event loop, sparing two thread hand-offs per attempt while it is polled every few milliseconds.
     */
    default boolean nonBlocking() {
        return false;
    }

    /** Aborts a check in flight (kills a probe command); the probe is not used afterwards. */
    default void close() {}
}
