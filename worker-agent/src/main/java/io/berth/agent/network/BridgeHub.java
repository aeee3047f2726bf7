package io.berth.agent.network;

import io.berth.agent.os.TaskIds;
import io.berth.agent.os.Exec;
import io.berth.agent.os.Tools;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;

/**
 * The agent's hub for bridge mode: a network namespace of its own holding the bridge that every
 * bridge-mode task and service is plugged into. The bridge never lives in the host's namespace and the
 * hub has no address or route, so nothing on the bridge reaches the host or leaves the machine. Created
 * with the first bridge-mode task, deleted with the last one (which takes every port and firewall table
 * in it along). Addresses come from 198.18.0.0/16 (set aside for benchmarking by RFC 2544, so it clashes
 * with no real network a joined namespace may have). Blocking methods; thread-safe.
 */
final class BridgeHub {
    static final String BRIDGE = "berth0";
    static final int PREFIX_LENGTH = 16;
    private static final int FIRST_SLOT = 2;
    private static final int LAST_SLOT = 65_534;
    private static final Duration IP_TIMEOUT = Duration.ofSeconds(10);

    private final String name;
    private final BitSet used = new BitSet();
    private int next = FIRST_SLOT;
    private int users;

    BridgeHub(Path stateDir) {
        this.name = nameFor(stateDir);
    }

    /** The hub of the agent with state directory {@code stateDir}: one per agent, so agents never share one. */
    static String nameFor(Path stateDir) {
        return "berth-hub-" + TaskIds.shortHash(stateDir.toAbsolutePath().normalize().toString());
    }

    String name() {
        return name;
    }

    String path() {
        return "/run/netns/" + name;
    }

    /** One more task uses the hub; the first creates it (a leftover of a dead agent is replaced). */
    synchronized void acquire() throws IOException {
        if (users == 0) {
            create();
        }
        users++;
    }

    /** One task less; the last deletes the hub with every port and table still in it. Idempotent per acquire. */
    synchronized void release() throws IOException {
        if (users == 0) {
            return;
        }
        if (--users == 0) {
            used.clear();
            NamespaceNetwork.delete(name);
        }
    }

    /**
     * A free slot: each gives one address and one pair of device names. Round robin, so an address just
     * released is not handed out again at once (no stale neighbour entries point at a new owner).
     */
    synchronized int allocate() {
        for (int i = 0; i <= LAST_SLOT - FIRST_SLOT; i++) {
            int slot = FIRST_SLOT + (next - FIRST_SLOT + i) % (LAST_SLOT - FIRST_SLOT + 1);
            if (!used.get(slot)) {
                used.set(slot);
                next = slot + 1;
                return slot;
            }
        }
        throw new NetworkException("bridge hub " + name + " has no free address left");
    }

    synchronized void free(int slot) {
        used.clear(slot);
    }

    static String address(int slot) {
        return "198.18." + (slot >> 8) + "." + (slot & 0xff);
    }

    /** Fixed MAC of the namespace end of a slot's veth: the firewall pins the slot to it. */
    static String mac(int slot) {
        return String.format("02:b7:c6:12:%02x:%02x", slot >> 8, slot & 0xff);
    }

    private void create() throws IOException {
        NamespaceNetwork.add(name);
        Exec.Result bridge = Exec.run(List.of(Tools.IP, "-n", name, "link", "add", BRIDGE, "up", "type", "bridge"),
                IP_TIMEOUT);
        if (!bridge.ok()) {
            NamespaceNetwork.delete(name);
            throw new NetworkException("cannot create bridge " + BRIDGE + " in hub namespace " + name + ": "
                    + bridge.oneLine());
        }
    }

    @Override
    public String toString() {
        return "bridge hub " + name;
    }
}
