package io.berth.agent.network;

import io.berth.agent.TaskIds;
import io.berth.agent.os.Exec;
import io.berth.agent.os.ProcessTable;
import io.berth.agent.os.Tools;
import io.berth.events.payload.NetworkSpec;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A network namespace Berth creates for one task ({@code ip netns add berth-<hash>}, loopback up).
 * Services listen on 127.0.0.1 inside it; the task joins it; nothing else can reach them.
 */
public final class NamespaceNetwork implements TaskNetwork {
    private static final System.Logger LOG = System.getLogger(NamespaceNetwork.class.getName());
    private static final Duration IP_TIMEOUT = Duration.ofSeconds(10);

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
     * Creates namespace {@code name} with its loopback up. A leftover of the same name (from an agent
     * that died) is reaped first: its processes are orphans of a task that is gone. Blocking.
     */
    static void add(String name) throws IOException {
        List<String> command = Nursery.command(List.of(Tools.IP, "netns", "add", name));
        Exec.Result add = Exec.run(command, IP_TIMEOUT);
        if (!add.ok() && add.output().contains("File exists")) {
            LOG.log(Level.WARNING, "network namespace {0} already exists; reaping it", name);
            delete(name);
            add = Exec.run(command, IP_TIMEOUT);
        }
        if (!add.ok()) {
            throw new NetworkException("cannot create network namespace " + name + ": " + add.oneLine());
        }
        Exec.Result up = Exec.run(List.of(Tools.IP, "-n", name, "link", "set", "lo", "up"), IP_TIMEOUT);
        if (!up.ok()) {
            delete(name);
            throw new NetworkException("cannot bring up loopback in network namespace " + name + ": " + up.oneLine());
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
     * Kills whatever still runs in namespace {@code name} (a service that escaped its process group,
     * e.g. by daemonizing), then deletes it. Only for namespaces Berth created: everything in them is
     * Berth's too. Blocking.
     */
    public static void delete(String name) throws IOException {
        Path path = Path.of("/run/netns", name);
        if (!Files.exists(path)) {
            return;
        }
        List<Long> stragglers = ProcessTable.inNetworkNamespace(path);
        if (!stragglers.isEmpty()) {
            LOG.log(Level.WARNING, "killing {0} process(es) still running in {1}: {2}", stragglers.size(), name,
                    stragglers);
            stragglers.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
        }
        Exec.Result del = Exec.run(List.of(Tools.IP, "netns", "del", name), IP_TIMEOUT);
        if (!del.ok() && Files.exists(path)) {
            throw new NetworkException("cannot delete network namespace " + name + ": " + del.oneLine());
        }
    }

    @Override
    public String toString() {
        return "namespace " + name;
    }
}
