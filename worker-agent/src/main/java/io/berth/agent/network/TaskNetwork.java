package io.berth.agent.network;

import io.berth.events.config.PortSpec;
import io.berth.events.payload.NetworkSpec;
import io.vertx.core.Future;

import java.util.List;

/** The network a task's services run in. */
public interface TaskNetwork {

    /** Namespace path the task joins (and, except in bridge mode, its services run in), or null for the host network. */
    String path();

    /** Address the task reaches its services on (bridge mode: each service has its own, see {@link #attach}). */
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

    /**
     * Prepares the network of one service before it starts: where it runs and the address its task
     * reaches it on. By default every service shares the task's network ({@link #path()}, {@link #host()});
     * bridge mode gives each service its own namespace, address and firewall rules.
     */
    default Future<ServiceNetwork> attach(String service, List<PortSpec> ports) {
        return admit(service, ports).map(v -> new ServiceNetwork(path(), host()));
    }

    /** Name of the namespace Berth created for the task (journalled, so a crashed agent's successor deletes it), or null. */
    default String ownedNamespace() {
        return null;
    }

    /**
     * Whether an agent restarted after a crash can take this network over ({@link TaskNetworks#reattach}) from what
     * the journal says. Bridge mode's veths and firewall rules are not journalled, so a bridge-mode task is reaped.
     */
    default boolean reattachable() {
        return false;
    }

    /** Deletes what Berth created for this network; idempotent, never touches what it did not create. */
    Future<Void> release();
}
