package io.berth.orchestrator.gateway;

import java.util.List;

/**
 * A worker as the orchestrator knows it, for the CLI and the admin API.
 *
 * @param connected       its agent's stream is open
 * @param lastSeenMillis  epoch ms of the last message (hello, heartbeat, ack)
 * @param pendingCommands commands sent (or waiting to be sent) and not yet acknowledged
 */
public record WorkerInfo(String worker, boolean connected, List<String> runtimes, String networkModes,
                         int capacity, int activeServices, boolean draining, long connectedAtMillis,
                         long lastSeenMillis, int pendingCommands) {
    public WorkerInfo {
        runtimes = List.copyOf(runtimes);
    }
}
