package io.berth.agent.network;

import io.berth.agent.AgentSettings;
import io.berth.events.payload.NetworkSpec;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.nio.file.Path;

/** Picks a task's network from its request and the agent's defaults. One per agent: it owns the agent's bridge hub. */
public final class TaskNetworks {
    private final Vertx vertx;
    private final AgentSettings settings;
    private final BridgeHub hub;

    public TaskNetworks(Vertx vertx, AgentSettings settings) {
        this.vertx = vertx;
        this.settings = settings;
        this.hub = new BridgeHub(settings.stateDir());
    }

    /**
     * {@code namespace} with a path → join it; {@code namespace} without → create one for the task;
     * {@code bridge} → a namespace and address per service on the agent's bridge, the task in its own
     * namespace (created, or the given path); {@code host} → no isolation. A null request or mode means
     * the agent's default mode.
     */
    public Future<TaskNetwork> create(String taskId, NetworkSpec request) {
        String mode = request == null || request.mode() == null || request.mode().isBlank()
                ? settings.defaultNetworkMode() : request.mode();
        String path = request == null ? null : request.path();
        switch (mode) {
            case NetworkSpec.NAMESPACE:
                return path == null || path.isBlank()
                        ? NamespaceNetwork.create(vertx, taskId)
                        : JoinedNamespace.join(vertx, path, settings.sandbox().joinableDirs());
            case NetworkSpec.BRIDGE:
                return BridgeNetwork.create(vertx, hub, taskId, path, settings.sandbox().joinableDirs());
            case NetworkSpec.HOST:
                if (!hostAllowed()) {
                    return Future.failedFuture(new NetworkException("host network mode is not allowed on this worker: "
                            + "a task's services would share the host's network with everything on it; the operator "
                            + "allows it with BERTH_ALLOW_HOST_NETWORK=true"));
                }
                return Future.succeededFuture(new HostNetwork(vertx));
            default:
                return Future.failedFuture(new NetworkException(
                        "unknown network mode '" + mode + "'; expected namespace, bridge or host"));
        }
    }

    /**
     * The network a crashed agent created for {@code taskId} from {@code request}, taken over as it is: the task's
     * namespace (which must still exist), the namespace it joined, or the host. Bridge mode is refused.
     */
    public Future<TaskNetwork> reattach(String taskId, NetworkSpec request) {
        String mode = request == null || request.mode() == null || request.mode().isBlank()
                ? settings.defaultNetworkMode() : request.mode();
        String path = request == null ? null : request.path();
        return switch (mode) {
            case NetworkSpec.NAMESPACE -> path == null || path.isBlank()
                    ? NamespaceNetwork.existing(vertx, taskId)
                    : JoinedNamespace.join(vertx, path, settings.sandbox().joinableDirs());
            case NetworkSpec.HOST -> Future.succeededFuture(new HostNetwork(vertx));
            default -> Future.failedFuture(new NetworkException("a task in " + mode
                    + " network mode cannot be re-attached"));
        };
    }

    /** Host mode is the operator's to grant: by setting, or by making it the agent's default (an agent not root). */
    private boolean hostAllowed() {
        return settings.sandbox().hostNetwork() || NetworkSpec.HOST.equals(settings.defaultNetworkMode());
    }

    /** Name of the bridge hub namespace of the agent with state directory {@code stateDir}. */
    public static String hubName(Path stateDir) {
        return BridgeHub.nameFor(stateDir);
    }
}
