package io.berth.agent.network;

import io.berth.events.config.PortSpec;
import io.berth.events.payload.NetworkSpec;
import io.vertx.core.Future;

import java.util.List;

/** The network a task's services run in. */
public interface TaskNetwork {

    /** Namespace path services are started in (and the task joins), or null for the host network. */
    String path();

    /** Address the task reaches its services on. */
    default String host() {
        return "127.0.0.1";
    }

    /** What the task is told about this network. */
    NetworkSpec spec();

    /**
     * Checks, before a service starts, that its ports can be used in this network.
     * Fails with a message naming the service and the port when they cannot.
     */
    default Future<Void> admit(String service, List<PortSpec> ports) {
        return Future.succeededFuture();
    }

    /** Deletes what Berth created for this network; idempotent, never touches what it did not create. */
    Future<Void> release();
}
