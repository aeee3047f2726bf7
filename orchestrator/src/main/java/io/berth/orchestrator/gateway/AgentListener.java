package io.berth.orchestrator.gateway;

/** Told, on the gateway's context, when workers come and go. */
public interface AgentListener {

    /** An agent said Hello (a first connection or a reconnection). */
    default void connected(String worker) {}

    /** A heartbeat arrived or draining changed: capacity may have changed. */
    default void changed(String worker) {}

    /** The worker's agent disconnected; it may come back within the grace period. */
    default void disconnected(String worker) {}

    /** The worker's agent disconnected and did not come back within the grace period. */
    default void lost(String worker) {}
}
