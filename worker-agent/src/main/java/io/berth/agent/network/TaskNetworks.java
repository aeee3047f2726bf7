package io.berth.agent.network;

import io.berth.agent.supervisor.AgentSettings;
import io.berth.events.payload.NetworkSpec;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/** Picks a task's network from its request and the agent's defaults. */
public final class TaskNetworks {
    private TaskNetworks() {}

    /**
     * {@code namespace} with a path → join it; {@code namespace} without → create one for the task;
     * {@code host} → no isolation. A null request or mode means the agent's default mode.
     */
    public static Future<TaskNetwork> create(Vertx vertx, String taskId, NetworkSpec request, AgentSettings settings) {
        String mode = request == null || request.mode() == null || request.mode().isBlank()
                ? settings.defaultNetworkMode() : request.mode();
        String path = request == null ? null : request.path();
        switch (mode) {
            case NetworkSpec.NAMESPACE:
                return path == null || path.isBlank()
                        ? NamespaceNetwork.create(vertx, taskId)
                        : JoinedNamespace.join(vertx, path);
            case NetworkSpec.HOST:
                return Future.succeededFuture(new HostNetwork(vertx));
            case NetworkSpec.BRIDGE:
                return Future.failedFuture(new NetworkException(
                        "network mode 'bridge' is not supported by this agent; use 'namespace' or 'host'"));
            default:
                return Future.failedFuture(new NetworkException(
                        "unknown network mode '" + mode + "'; expected namespace, bridge or host"));
        }
    }
}
