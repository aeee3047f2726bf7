package io.berth.agent.network;

import io.berth.agent.os.TaskIds;
import io.berth.agent.os.Exec;
import io.berth.agent.os.Tools;
import io.berth.events.config.PortSpec;
import io.berth.events.payload.NetworkSpec;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Bridge mode, the proposal's "Service Manager": the task and each of its services get a namespace and an
 * address of their own on the hub's bridge ({@link BridgeHub}); firewall rules in the hub
 * ({@link BridgeFirewall}) let them reach each other and nothing else. The task joins its namespace
 * ({@link #path()}: created per task, or the task's existing one) and reaches each service on that
 * service's address, so services must listen on it (or on 0.0.0.0), not only on 127.0.0.1. IPv4 only.
 * A service's veth, address and rules exist before it starts and are removed with the task.
 */
public final class BridgeNetwork implements TaskNetwork {
    /** Name of the veth end inside a task's or service's namespace. */
    static final String DEVICE = "berth0";
    private static final Duration IP_TIMEOUT = Duration.ofSeconds(10);

    private final Vertx vertx;
    private final BridgeHub hub;
    private final String taskId;
    private final String table;
    private final String path;
    private final String ownedName;
    private int taskSlot = -1;
    /** Service → its namespace name and slot (-1 until allocated); recorded before either is created. */
    private final Map<String, int[]> slots = new LinkedHashMap<>();
    private boolean closed;
    private Future<Void> released;

    private BridgeNetwork(Vertx vertx, BridgeHub hub, String taskId, String path, String ownedName) {
        this.vertx = vertx;
        this.hub = hub;
        this.taskId = taskId;
        this.table = BridgeFirewall.table(TaskIds.shortHash(taskId));
        this.path = path;
        this.ownedName = ownedName;
    }

    /**
     * Plugs a task into the hub: its namespace (a new one, or {@code joinPath} when given, which is only
     * ever given a veth and never deleted), its address and its rules.
     */
    static Future<TaskNetwork> create(Vertx vertx, BridgeHub hub, String taskId, String joinPath,
                                      List<Path> joinableDirs) {
        return vertx.executeBlocking(() -> {
            if (!Path.of(Tools.NFT).isAbsolute()) {
                throw new NetworkException("network mode 'bridge' needs nftables on the worker: install the "
                        + "nftables package (no nft found in /usr/sbin, /usr/bin, /sbin or /bin)");
            }
            String join = joinPath == null || joinPath.isBlank() ? null : JoinedNamespace.check(joinPath, joinableDirs);
            hub.acquire();
            BridgeNetwork net;
            if (join == null) {
                String name = TaskIds.namespaceName(taskId);
                try {
                    NamespaceNetwork.add(name);
                } catch (IOException | RuntimeException e) {
                    hub.release();
                    throw e;
                }
                net = new BridgeNetwork(vertx, hub, taskId, "/run/netns/" + name, name);
            } else {
                net = new BridgeNetwork(vertx, hub, taskId, join, null);
            }
            try {
                net.plugTask();
            } catch (IOException | RuntimeException e) {
                net.releaseQuietly(e);
                throw e;
            }
            return (TaskNetwork) net;
        }, false);
    }

    private void plugTask() throws IOException {
        int slot = hub.allocate();
        synchronized (this) {
            taskSlot = slot;
        }
        BridgeFirewall.Port port = port("bt", slot);
        plug(path, port, BridgeFirewall.createGroup(table, port));
    }

    /** Creates the service's namespace and plugs it in: veth, address, rules, then the bridge port comes up. */
    @Override
    public Future<ServiceNetwork> attach(String service, List<PortSpec> ports) {
        return vertx.executeBlocking(() -> {
            String name = TaskIds.namespaceName(taskId) + "-" + TaskIds.checkServiceName(service);
            int[] slot = new int[] {-1};
            synchronized (this) {
                if (closed) {
                    throw new NetworkException("service '" + service + "': task " + taskId + " is being released");
                }
                if (slots.putIfAbsent(service, slot) != null) {
                    throw new NetworkException("service '" + service + "' is already attached");
                }
            }
            NamespaceNetwork.add(name);
            int allocated = hub.allocate();
            synchronized (this) {
                slot[0] = allocated;
            }
            BridgeFirewall.Port port = port("bs", allocated);
            plug("/run/netns/" + name, port, BridgeFirewall.addPort(table, port));
            return new ServiceNetwork("/run/netns/" + name, port.address());
        }, false);
    }

    /**
     * The veth with its namespace end {@value #DEVICE} in {@code nsPath} (fixed MAC, address, up) and its
     * hub end {@code port.device()}; then the rules; only then the hub end joins the bridge and comes up.
     */
    private void plug(String nsPath, BridgeFirewall.Port port, String rules) throws IOException {
        ip(nsPath, "link", "add", DEVICE, "address", port.mac(), "up", "type", "veth", "peer", "name", port.device(),
                "netns", hub.name());
        ip(nsPath, "addr", "add", port.address() + "/" + BridgeHub.PREFIX_LENGTH, "dev", DEVICE);
        BridgeFirewall.apply(hub.path(), rules);
        ip(hub.path(), "link", "set", port.device(), "master", BridgeHub.BRIDGE, "up");
    }

    private static void ip(String nsPath, String... args) throws IOException {
        List<String> argv = new ArrayList<>(List.of(Tools.NSENTER, "--net=" + nsPath, "--", Tools.IP));
        argv.addAll(List.of(args));
        Exec.Result r = Exec.run(argv, IP_TIMEOUT);
        if (!r.ok()) {
            throw new NetworkException("ip " + String.join(" ", args) + " in " + nsPath + " failed: " + r.oneLine());
        }
    }

    private static BridgeFirewall.Port port(String prefix, int slot) {
        return new BridgeFirewall.Port(prefix + slot, BridgeHub.address(slot), BridgeHub.mac(slot));
    }

    @Override
    public String path() {
        return path;
    }

    /** The task's own address on the bridge. */
    public synchronized String taskAddress() {
        return taskSlot < 0 ? null : BridgeHub.address(taskSlot);
    }

    @Override
    public NetworkSpec spec() {
        return new NetworkSpec(NetworkSpec.BRIDGE, path);
    }

    @Override
    public String ownedNamespace() {
        return ownedName;
    }

    /**
     * Kills what still runs in the services' namespaces and deletes them (their veths go with them),
     * deletes the task's tables, its namespace if Berth made it (else only its veth), and lets go of the
     * hub. Every step runs even when one fails. Idempotent.
     */
    @Override
    public synchronized Future<Void> release() {
        if (released == null) {
            closed = true;
            released = vertx.executeBlocking(() -> {
                List<String> errors = releaseBlocking();
                if (!errors.isEmpty()) {
                    throw new NetworkException("releasing the bridge network of task " + taskId + ": "
                            + String.join("; ", errors));
                }
                return null;
            }, false);
        }
        return released;
    }

    private void releaseQuietly(Exception cause) {
        synchronized (this) {
            closed = true;
        }
        releaseBlocking().forEach(e -> cause.addSuppressed(new NetworkException(e)));
    }

    private List<String> releaseBlocking() {
        List<String> errors = new ArrayList<>();
        Map<String, Integer> services = new LinkedHashMap<>();
        int task;
        synchronized (this) {
            slots.forEach((service, slot) -> services.put(service, slot[0]));
            task = taskSlot;
        }
        String prefix = TaskIds.namespaceName(taskId) + "-";
        // a veth goes at once when its hub end is deleted; with its namespace only once the kernel
        // gets round to tearing that down, so each is deleted explicitly
        services.forEach((service, slot) -> {
            if (slot >= 0) {
                step(errors, () -> deleteVeth("bs" + slot));
            }
            step(errors, () -> NamespaceNetwork.delete(prefix + service));
        });
        step(errors, () -> BridgeFirewall.apply(hub.path(), BridgeFirewall.deleteGroup(table)));
        if (task >= 0) {
            // from a joined namespace (the task's own) only this veth goes
            step(errors, () -> deleteVeth("bt" + task));
        }
        if (ownedName != null) {
            step(errors, () -> NamespaceNetwork.delete(ownedName));
        }
        services.values().stream().filter(slot -> slot >= 0).forEach(hub::free);
        if (task >= 0) {
            hub.free(task);
        }
        step(errors, hub::release);
        return errors;
    }

    private void deleteVeth(String device) throws IOException {
        Exec.Result r = Exec.run(List.of(Tools.IP, "-n", hub.name(), "link", "del", device), IP_TIMEOUT);
        if (!r.ok() && !r.output().contains("Cannot find device")) {
            throw new NetworkException("cannot delete veth " + device + " in " + hub + ": " + r.oneLine());
        }
    }

    private interface Step {
        void run() throws IOException;
    }

    private static void step(List<String> errors, Step step) {
        try {
            step.run();
        } catch (IOException | RuntimeException e) {
            errors.add(e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "bridge network of task " + taskId + " (" + path + ")";
    }
}
