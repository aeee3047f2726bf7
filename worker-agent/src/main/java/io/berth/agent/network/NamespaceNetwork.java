package io.berth.agent.network;

import io.berth.agent.os.TaskIds;
import io.berth.agent.sandbox.Launcher;
import io.berth.events.payload.NetworkSpec;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A network namespace Berth creates for one task ({@code /run/netns/berth-<hash>}, loopback up).
 * Services listen on 127.0.0.1 inside it; the task joins it; nothing else can reach them.
 */
public final class NamespaceNetwork implements TaskNetwork {
    private static final System.Logger LOG = System.getLogger(NamespaceNetwork.class.getName());

    private final Vertx vertx;
    private final String name;
    private final Path path;
    private Future<Void> released;

    private NamespaceNetwork(Vertx vertx, String name) {
        this.vertx = vertx;
        this.name = name;
        this.path = Path.of("/run/netns", name);
    }

    /** Creates the namespace of {@code taskId}. A leftover namespace of the same name is reaped first. */
    public static Future<TaskNetwork> create(Vertx vertx, String taskId) {
        NamespaceNetwork net = new NamespaceNetwork(vertx, TaskIds.namespaceName(taskId));
        return vertx.executeBlocking(() -> {
            net.createBlocking();
            return net;
        }, false);
    }

    /** The namespace of {@code taskId} an agent created before it crashed; fails when it is gone. */
    public static Future<TaskNetwork> existing(Vertx vertx, String taskId) {
        NamespaceNetwork net = new NamespaceNetwork(vertx, TaskIds.namespaceName(taskId));
        return vertx.executeBlocking(() -> {
            if (!Files.exists(net.path)) {
                throw new NetworkException("network namespace " + net.name + " of task " + taskId + " is gone");
            }
            return net;
        }, false);
    }

    private void createBlocking() throws IOException {
        add(name);
    }

    /**
     * Creates namespace {@code name} with its loopback up (from the nursery when there is one). A leftover of the
     * same name (from an agent that died) is removed first. Blocking.
     */
    static void add(String name) throws IOException {
        Path path = Path.of("/run/netns", name);
        Path nursery = Nursery.path();
        if (Files.exists(path)) {
            LOG.log(Level.WARNING, "network namespace {0} already exists; removing it", name);
            delete(name);
        }
        try {
            Launcher.shared().createNetworkNamespace(path, nursery);
        } catch (IOException e) {
            throw new NetworkException("cannot create network namespace " + name + ": " + e.getMessage());
        }
    }

    public String name() {
        return name;
    }

    @Override
    public String ownedNamespace() {
        return name;
    }

    @Override
    public String path() {
        return path.toString();
    }

    @Override
    public boolean reattachable() {
        return true;
    }

    @Override
    public NetworkSpec spec() {
        return new NetworkSpec(NetworkSpec.NAMESPACE, path());
    }

    @Override
    public synchronized Future<Void> release() {
        if (released == null) {
            released = vertx.executeBlocking(() -> {
                deleteBlocking();
                return null;
            }, false);
        }
        return released;
    }

    private void deleteBlocking() throws IOException {
        delete(name);
    }

    /**
     * Deletes namespace {@code name}: its veths and firewall tables go with it. Only for namespaces Berth created; a
     * service in it cannot outlive its own sandbox, so nothing of Berth's is left inside. Blocking.
     */
    public static void delete(String name) throws IOException {
        Path path = Path.of("/run/netns", name);
        if (!Files.exists(path)) {
            return;
        }
        try {
            Launcher.shared().deleteNetworkNamespace(path);
        } catch (IOException e) {
            throw new NetworkException("cannot delete network namespace " + name + ": " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "namespace " + name;
    }
}
