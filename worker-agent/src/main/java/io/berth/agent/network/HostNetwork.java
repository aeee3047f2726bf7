package io.berth.agent.network;

import io.berth.agent.os.ProcNet;
import io.berth.events.config.PortSpec;
import io.berth.events.payload.NetworkSpec;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * No isolation: services are plain processes on the host's network. Their ports must be free, and
 * every process on the machine can reach them. For development without root or outside Linux.
 */
public final class HostNetwork implements TaskNetwork {
    private static final System.Logger LOG = System.getLogger(HostNetwork.class.getName());
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private final Vertx vertx;

    public HostNetwork(Vertx vertx) {
        this.vertx = vertx;
        if (WARNED.compareAndSet(false, true)) {
            LOG.log(Level.WARNING, "host network mode: services are NOT isolated — they share the host's "
                    + "network, any process can reach them, and the ports they use must be free on this machine");
        }
    }

    @Override
    public String path() {
        return null;
    }

    @Override
    public boolean reattachable() {
        return true;
    }

    @Override
    public NetworkSpec spec() {
        return new NetworkSpec(NetworkSpec.HOST, null);
    }

    @Override
    public Future<Void> admit(String service, List<PortSpec> ports) {
        if (ports.isEmpty()) {
            return Future.succeededFuture();
        }
        return vertx.executeBlocking(() -> {
            Set<Integer> taken = ProcNet.listeningPorts(ProcessHandle.current().pid());
            for (PortSpec port : ports) {
                if (taken.contains(port.number())) {
                    throw new NetworkException("service '" + service + "': port " + port.number() + " (" + port.name()
                            + ") is already in use on this host; in host network mode ports must be free");
                }
            }
            return null;
        }, false);
    }

    @Override
    public Future<Void> release() {
        return Future.succeededFuture();
    }

    @Override
    public String toString() {
        return "host network";
    }
}
