package io.berth.agent.network;

import io.berth.agent.os.TaskIds;
import io.berth.agent.os.Exec;
import io.berth.agent.os.Tools;
import io.berth.agent.os.Users;
import io.berth.agent.AgentSettings;
import io.berth.agent.sandbox.SandboxSettings;
import io.berth.agent.testing.Cleanup;
import io.berth.events.config.PortSpec;
import io.berth.events.payload.NetworkSpec;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.berth.agent.testing.Await.failure;
import static io.berth.agent.testing.Await.result;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
class TaskNetworksTest {
    final Cleanup cleanup = new Cleanup();
    AgentSettings settings;

    @BeforeEach
    void setUp() throws Exception {
        // the operator lets tasks join the namespaces in /run/netns that are not Berth's, and use host mode
        settings = AgentSettings.defaults("w").withStateDir(cleanup.stateDir()).withSandbox(SandboxSettings.defaults()
                .withJoinableDirs(List.of(Path.of("/run/netns"))).withHostNetwork(true));
    }

    @AfterEach
    void tearDown() throws Exception {
        cleanup.run();
    }

    TaskNetworks networks(Vertx vertx) {
        return new TaskNetworks(vertx, settings);
    }

    static void assumeRoot() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Users.agentIsRoot(), "needs root");
    }

    @Test
    void namespace_isCreatedWithLoopbackUp_andReleasedOnce(Vertx vertx) throws Exception {
        assumeRoot();
        String task = cleanup.taskId("net");

        long t0 = System.nanoTime();
        TaskNetwork net = result(new TaskNetworks(vertx, settings.withDefaultNetworkMode("namespace")).create(task, null));
        long createMs = (System.nanoTime() - t0) / 1_000_000;

        System.out.printf("namespace create %d ms%n", createMs);
        assertEquals(new NetworkSpec("namespace", "/run/netns/" + TaskIds.namespaceName(task)), net.spec());
        assertEquals("127.0.0.1", net.host());
        String lo = Exec.run(List.of(Tools.IP, "-n", TaskIds.namespaceName(task), "link", "show", "lo"),
                Duration.ofSeconds(5)).output();
        assertTrue(lo.contains("UP"), lo);

        t0 = System.nanoTime();
        result(net.release());
        System.out.printf("namespace release %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        result(net.release());
        assertFalse(Files.exists(Path.of(net.path())));
    }

    @Test
    void leftoverNamespaceOfTheSameTask_isReapedAndRecreated(Vertx vertx) throws Exception {
        assumeRoot();
        String task = cleanup.taskId("leftover");
        Exec.run(List.of(Tools.IP, "netns", "add", TaskIds.namespaceName(task)), Duration.ofSeconds(5));

        TaskNetwork net = result(new TaskNetworks(vertx, settings.withDefaultNetworkMode("namespace")).create(task, null));

        assertTrue(Files.exists(Path.of(net.path())));
        result(net.release());
    }

    @Test
    void joinedNamespace_isUsedButNeverDeleted(Vertx vertx) throws Exception {
        assumeRoot();
        String name = "berth-test-join-" + ProcessHandle.current().pid();
        cleanup.namespace(name);
        Exec.run(List.of(Tools.IP, "netns", "add", name), Duration.ofSeconds(5));

        TaskNetwork net = result(networks(vertx).create("t", new NetworkSpec("namespace", "/run/netns/" + name)));
        result(net.release());

        assertInstanceOf(JoinedNamespace.class, net);
        assertEquals("/run/netns/" + name, net.path());
        assertTrue(Files.exists(Path.of("/run/netns", name)));
        assertEquals("network namespace /run/netns/none does not exist", failure(networks(vertx).create("t",
                new NetworkSpec("namespace", "/run/netns/none"))).getMessage());
    }

    @Test
    void joiningANamespaceBerthMade_isRefused_howeverItsPathIsSpelled(Vertx vertx) throws Exception {
        assumeRoot();
        String other = cleanup.taskId("other");
        TaskNetwork theirs = result(networks(vertx).create(other, new NetworkSpec("namespace", null)));
        String alias = "berth-test-alias-" + ProcessHandle.current().pid();
        cleanup.namespace(alias);
        Path aliasPath = Path.of("/run/netns", alias);
        try {
            // the same namespace under a name of no Berth pattern: only its identity tells
            Files.createFile(aliasPath);
            assertTrue(Exec.run(List.of("/bin/mount", "--bind", theirs.path(), aliasPath.toString()),
                    Duration.ofSeconds(5)).ok());
            String berthName = Path.of(theirs.path()).getFileName().toString();
            for (String path : List.of(theirs.path(), "/var/run/netns/" + berthName, "/run/netns/../netns/" + berthName,
                    aliasPath.toString())) {
                Throwable e = failure(networks(vertx).create("intruder", new NetworkSpec("namespace", path)));
                assertTrue(e.getMessage().startsWith("network namespace " + path + " is one Berth made ("
                        + berthName), e.getMessage());
                assertTrue(failure(networks(vertx).create("intruder", new NetworkSpec("bridge", path)))
                        .getMessage().contains("a task can only join a namespace of its own"), path);
            }
            if (Files.exists(Path.of("/run/netns/berth-nursery"))) {
                assertTrue(failure(networks(vertx).create("intruder", new NetworkSpec("namespace",
                        "/run/netns/berth-nursery"))).getMessage().contains("is one Berth made (berth-nursery"));
            }
        } finally {
            Exec.run(List.of("/bin/umount", aliasPath.toString()), Duration.ofSeconds(5));
            Files.deleteIfExists(aliasPath);
            result(theirs.release());
        }
    }

    @Test
    void joiningAProcesssNamespace_theAgentsOrTheHosts_isRefused(Vertx vertx) throws Exception {
        assumeRoot();
        for (String path : List.of("/proc/self/ns/net", "/proc/" + ProcessHandle.current().pid() + "/ns/net")) {
            Throwable e = failure(networks(vertx).create("intruder", new NetworkSpec("namespace", path)));
            assertTrue(e.getMessage().contains("is not in a directory the operator allows tasks to join"),
                    e.getMessage());
        }
        // even from a directory the operator allows, the agent's own namespace is refused
        Path dir = Files.createDirectory(cleanup.stateDir().resolve("joinable"));
        Path own = Files.createFile(dir.resolve("agent"));
        try {
            assertTrue(Exec.run(List.of("/bin/mount", "--bind", "/proc/self/ns/net", own.toString()),
                    Duration.ofSeconds(5)).ok());
            TaskNetworks allowing = new TaskNetworks(vertx, settings.withSandbox(settings.sandbox()
                    .withJoinableDirs(List.of(dir))));
            assertTrue(failure(allowing.create("intruder", new NetworkSpec("namespace", own.toString())))
                    .getMessage().contains("is the worker agent's own"));
        } finally {
            Exec.run(List.of("/bin/umount", own.toString()), Duration.ofSeconds(5));
        }
    }

    @Test
    void joiningAndHostMode_areTheOperatorsToGrant(Vertx vertx) throws Exception {
        assumeRoot();
        TaskNetworks strict = new TaskNetworks(vertx, settings.withSandbox(SandboxSettings.defaults()));
        String name = "berth-test-strict-" + ProcessHandle.current().pid();
        cleanup.namespace(name);
        Exec.run(List.of(Tools.IP, "netns", "add", name), Duration.ofSeconds(5));

        assertTrue(failure(strict.create("t", new NetworkSpec("namespace", "/run/netns/" + name))).getMessage()
                .contains("the operator allows no directory (BERTH_JOINABLE_NETNS_DIRS)"));
        assertTrue(failure(strict.create("t", new NetworkSpec("host", null))).getMessage()
                .contains("BERTH_ALLOW_HOST_NETWORK=true"));
    }

    @Test
    void unknownMode_isRefusedClearly(Vertx vertx) throws Exception {
        assertTrue(failure(networks(vertx).create("t", new NetworkSpec("overlay", null))).getMessage()
                .contains("unknown network mode 'overlay'"));
    }

    @Test
    void bridge_plugsTaskAndServiceIntoTheHubBehindTheirRules_andReleaseRemovesEverything(Vertx vertx) throws Exception {
        assumeRoot();
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of(Tools.NFT)), "needs nftables");
        String task = cleanup.taskId("bridge");
        String hub = TaskNetworks.hubName(settings.stateDir());
        cleanup.namespace(TaskIds.namespaceName(task) + "-web");
        cleanup.namespace(TaskIds.namespaceName(task) + "-db");
        String second = cleanup.taskId("bridge-2");
        cleanup.namespace(hub);
        TaskNetworks networks = networks(vertx);

        long t0 = System.nanoTime();
        TaskNetwork net = result(networks.create(task, new NetworkSpec("bridge", null)));
        long t1 = System.nanoTime();
        ServiceNetwork web = result(net.attach("web", List.of(new PortSpec("http", 8080))));
        long t2 = System.nanoTime();
        // the same again, warm: a second service, a second task (the hub exists)
        result(net.attach("db", List.of(new PortSpec("pg", 5432))));
        long t2b = System.nanoTime();
        TaskNetwork other = result(networks.create(second, new NetworkSpec("bridge", null)));
        long t2c = System.nanoTime();
        result(other.release());
        long t2d = System.nanoTime();

        assertEquals(new NetworkSpec("bridge", "/run/netns/" + TaskIds.namespaceName(task)), net.spec());
        assertEquals("/run/netns/" + TaskIds.namespaceName(task) + "-web", web.path());
        assertTrue(web.host().startsWith("198.18."), web.host());
        String table = "berth_" + TaskIds.shortHash(task);
        String rules = run("/run/netns/" + hub, Tools.NFT, "list", "table", "netdev", table)
                + run("/run/netns/" + hub, Tools.NFT, "list", "table", "bridge", table);
        String taskAddress = ((BridgeNetwork) net).taskAddress();
        for (String address : List.of(taskAddress, web.host())) {
            assertTrue(rules.contains("ip saddr " + address + " ip daddr @group accept"), rules);
            assertTrue(rules.contains("arp saddr ip " + address + " arp daddr ip @group accept"), rules);
            assertTrue(rules.contains("ip saddr " + address + " meta l4proto tcp reject with tcp reset"), rules);
        }
        assertTrue(rules.contains("iifname @ports oifname != @ports drop"), rules);
        assertEquals(3, run("/run/netns/" + hub, Tools.IP, "-o", "link", "show", "master", "berth0").lines().count());
        assertTrue(run(net.path(), Tools.IP, "-o", "-4", "addr", "show", "berth0").contains(taskAddress + "/16"));
        assertTrue(run(web.path(), Tools.IP, "-o", "-4", "addr", "show", "berth0").contains(web.host() + "/16"));
        assertEquals("", Exec.run(List.of(Tools.IP, "-o", "-4", "addr", "show", "to", "198.18.0.0/16"),
                Duration.ofSeconds(5)).output(), "the host has no address on the bridge");

        long t3 = System.nanoTime();
        result(net.release());
        long t4 = System.nanoTime();
        result(net.release());
        System.out.printf("bridge: first task network (hub, namespace, veth, rules) %d ms, first service (namespace, "
                        + "veth, rules) %d ms; warm: service %d ms, task network %d ms, its release %d ms; release of "
                        + "a task with two services and the hub %d ms%n", (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000,
                (t2b - t2) / 1_000_000, (t2c - t2b) / 1_000_000, (t2d - t2c) / 1_000_000, (t4 - t3) / 1_000_000);
        System.out.println(rules);
        assertFalse(Files.exists(Path.of(net.path())));
        assertFalse(Files.exists(Path.of(web.path())));
        assertFalse(Files.exists(Path.of("/run/netns", hub)), "the last task takes the hub, its ports and tables along");
    }

    static String run(String netns, String... argv) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(Tools.NSENTER, "--net=" + netns, "--"));
        cmd.addAll(List.of(argv));
        Exec.Result r = Exec.run(cmd, Duration.ofSeconds(10));
        assertTrue(r.ok(), r.output());
        return r.output();
    }

    @Test
    void hostNetwork_refusesAPortAlreadyTaken(Vertx vertx) throws Exception {
        TaskNetwork host = result(networks(vertx).create("t", new NetworkSpec("host", null)));
        assertNull(host.path());
        assertEquals(new NetworkSpec("host", null), host.spec());
        try (ServerSocket taken = new ServerSocket(0)) {
            int port = taken.getLocalPort();
            Throwable e = failure(host.admit("web", List.of(new PortSpec("http", port))));
            assertEquals("service 'web': port " + port + " (http) is already in use on this host; "
                    + "in host network mode ports must be free", e.getMessage());
        }
        int free;
        try (ServerSocket s = new ServerSocket(0)) {
            free = s.getLocalPort();
        }
        result(host.admit("web", List.of(new PortSpec("http", free))));
    }
}
