package io.berth.agent.network;

import io.berth.agent.os.Exec;
import io.berth.agent.os.Tools;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * The nftables rules in the hub that confine a bridge-mode task. A task and its services form a group;
 * each task has two tables named after it, holding every rule about it, so releasing it is deleting them.
 * <ul>
 *   <li>{@code netdev} table: a set of the group's addresses and, per port (the hub end of the task's or
 *       a service's veth), an ingress chain that drops everything except IPv4 and ARP sent from the
 *       port's own MAC and address to an address of the group — spoofed addresses, spoofed ARP (which
 *       would poison a service's neighbour cache), a borrowed MAC (which would poison the bridge's
 *       forwarding table) and IPv6 never reach the bridge. TCP to anyone outside the group is answered
 *       with a reset, so a task that guessed another's address fails at once.</li>
 *   <li>{@code bridge} table: a set of the group's ports and a forward chain that lets frames leave a
 *       port of the group only towards a port of the group, and reach one only from one — so neither
 *       broadcasts nor floods to unknown addresses show a task anything of another. ({@code reject} does
 *       not exist in the bridge family, hence the split.)</li>
 * </ul>
 * Every script is one nft transaction. Blocking.
 */
final class BridgeFirewall {
    private static final Duration NFT_TIMEOUT = Duration.ofSeconds(10);

    /** One port of a group: the hub-side device and the address and MAC of its namespace end. */
    record Port(String device, String address, String mac) {}

    private BridgeFirewall() {}

    /** The tables of a task, named after its hash. */
    static String table(String taskHash) {
        return "berth_" + taskHash;
    }

    /** Creates the task's tables with the task's own port as the group's first member. */
    static String createGroup(String table, Port task) {
        return String.join("\n",
                "add table netdev " + table,
                "add set netdev " + table + " group { type ipv4_addr; }",
                "add table bridge " + table,
                "add set bridge " + table + " ports { type ifname; }",
                "add chain bridge " + table + " forward { type filter hook forward priority 0; policy accept; }",
                "add rule bridge " + table + " forward iifname @ports oifname != @ports drop",
                "add rule bridge " + table + " forward oifname @ports iifname != @ports drop",
                addPort(table, task));
    }

    /** Adds a port (a service's) to the group: its ingress chain, its address and its device. */
    static String addPort(String table, Port port) {
        String chain = "from_" + port.device();
        String rule = "add rule netdev " + table + " " + chain + " ";
        return String.join("\n",
                "add chain netdev " + table + " " + chain + " { type filter hook ingress device \"" + port.device()
                        + "\" priority 0; policy drop; }",
                rule + "ether saddr != " + port.mac() + " drop",
                rule + "meta protocol arp arp saddr ip " + port.address() + " arp daddr ip @group accept",
                rule + "meta protocol ip ip saddr " + port.address() + " ip daddr @group accept",
                rule + "meta protocol ip ip saddr " + port.address() + " meta l4proto tcp reject with tcp reset",
                "add element netdev " + table + " group { " + port.address() + " }",
                "add element bridge " + table + " ports { \"" + port.device() + "\" }");
    }

    /** Deletes the task's tables; succeeds as well when they (or one of them) never existed. */
    static String deleteGroup(String table) {
        return String.join("\n",
                "add table netdev " + table, "delete table netdev " + table,
                "add table bridge " + table, "delete table bridge " + table);
    }

    /** Runs {@code script} as one transaction inside the hub namespace {@code hubPath}. */
    static void apply(String hubPath, String script) throws IOException {
        Exec.Result r = Exec.run(List.of(Tools.NSENTER, "--net=" + hubPath, "--", Tools.NFT, script), NFT_TIMEOUT);
        if (!r.ok()) {
            throw new NetworkException("nftables refused the rules in " + hubPath + ": " + r.oneLine());
        }
    }
}
