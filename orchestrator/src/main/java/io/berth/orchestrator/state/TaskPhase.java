package io.berth.orchestrator.state;

/**
 * Where a task is in its services' lifecycle.
 *
 * <pre>
 * NEW ──started──▶ PLACING ──placed──▶ STARTING ──all ready──▶ READY ──ended──▶ STOPPING ──all stopped──▶ RELEASED
 *  │                  │                    │                      │
 *  │ended             │no worker           │service failed/exited │ (a service that exits now is only recorded)
 *  ▼                  ▼                    ▼
 * ENDED           RELEASED              FAILED ──all stopped──▶ RELEASED
 *  │started
 *  ▼
 * RELEASED (with no services)
 * </pre>
 */
public enum TaskPhase {
    /** Nothing known about the task yet. */
    NEW,
    /** {@code task.ended} arrived before {@code task.started}: the task must never start. */
    ENDED,
    /** Waiting for a worker (e.g. the named worker's agent is not connected yet). */
    PLACING,
    /** StartServices sent; waiting for every service to be ready. */
    STARTING,
    /** Every service is ready and the CI platform was told. */
    READY,
    /** A service failed before all were ready; the CI platform was told; StopServices sent. */
    FAILED,
    /** The task ended; StopServices sent; waiting for every service to report stopped. */
    STOPPING,
    /** Every service is gone and the CI platform was told. Terminal. */
    RELEASED;

    /** True while services may be running on the worker. */
    public boolean holdsServices() {
        return this == STARTING || this == READY || this == FAILED || this == STOPPING;
    }
}
