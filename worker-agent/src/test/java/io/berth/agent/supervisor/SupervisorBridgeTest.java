package io.berth.agent.supervisor;

import io.berth.agent.AgentSettings;
import io.berth.agent.os.TaskIds;
import io.berth.agent.network.TaskNetworks;
import io.berth.agent.os.Exec;
import io.berth.agent.os.ProcessTable;
import io.berth.agent.os.Tools;
import io.berth.agent.testing.Cleanup;
import io.berth.agent.testing.RecordingEvents;
import io.berth.agent.testing.RecordingEvents.Event;
import io.berth.events.config.ServiceConfig;
import io.berth.events.payload.NetworkSpec;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static io.berth.agent.testing.Await.result;
import static io.berth.agent.testing.Configs.port;
import static io.berth.agent.testing.Configs.ports;
import static io.berth.agent.testing.Configs.run;
import static io.berth.agent.testing.Configs.service;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bridge mode attacked: a task tries to reach another task's service directly, with a forged neighbour
 * entry, with the other task's address and with its MAC; then an agent dies with bridge tasks running.
 */
@ExtendWith(VertxExtension.class)
class SupervisorBridgeTest {
    static final NetworkSpec BRIDGE = new NetworkSpec(NetworkSpec.BRIDGE, null);
    static final String CLI = "/usr/bin/redis-cli";

    final Cleanup cleanup = new Cleanup();
    Supervisor supervisor;
    AgentSettings settings;
    String hub;

    @BeforeAll
    static void tools() {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.berth.agent.os.Users.agentIsRoot(), "needs root");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of(Tools.NFT)), "needs nftables");
    }

    @BeforeEach
    void setUp(Vertx vertx) throws IOException {
        settings = AgentSettings.defaults("bridge-worker").withStateDir(cleanup.stateDir()).withSandbox(
                io.berth.agent.sandbox.SandboxSettings.defaults().withJoinableDirs(List.of(Path.of("/run/netns"))));
        hub = TaskNetworks.hubName(settings.stateDir());
        supervisor = new Supervisor(vertx, settings);
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            result(supervisor.stopAll(), Duration.ofSeconds(30));
        } finally {
            cleanup.namespace(hub); // last: with it go every veth and table a failed test left
            cleanup.run();
        }
    }

    /** A task id whose bridge-mode namespaces (its own and its redis's) are removed after the test. */
    String bridgeTask(String label) {
        String id = cleanup.taskId(label);
        cleanup.namespace(TaskIds.namespaceName(id) + "-redis");
        return id;
    }

    static ServiceConfig redis() {
        // in bridge mode the task comes in on the service's bridge address: redis must accept it there
        return service(run(SupervisorNamespaceTest.REDIS, "--port", "6379", "--save", "", "--appendonly", "no",
                "--protected-mode", "no"), List.of(port(6379)), ports(50, 0.2), 5);
    }

    static Exec.Result in(String netns, String... argv) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Tools.NSENTER, "--net=" + netns, "--"));
        cmd.addAll(List.of(argv));
        return Exec.run(cmd, Duration.ofSeconds(10));
    }

    /** A redis command from inside {@code netns}, given one second. */
    static Exec.Result redis(String netns, String host, String... command) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/timeout", "1", CLI, "-h", host));
        cmd.addAll(List.of(command));
        return in(netns, cmd.toArray(String[]::new));
    }

    static String field(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertTrue(m.find(), regex + " in " + text);
        return m.group(1);
    }

    static String mac(String netns) throws IOException {
        return field(in(netns, Tools.IP, "-o", "link", "show", "berth0").output(), "link/ether (\\S+)");
    }

    static long rxPackets(String netns) throws IOException {
        return Long.parseLong(field(in(netns, Tools.IP, "-j", "-s", "link", "show", "berth0").output(),
                "\"rx\":\\{\"bytes\":\\d+,\"packets\":(\\d+)"));
    }

    static String address(String netns) throws IOException {
        return field(in(netns, Tools.IP, "-o", "-4", "addr", "show", "berth0").output(), "inet (\\S+)/");
    }

    record Started(String task, String netns, String host, String serviceNetns, long pid) {}

    Started startRedis(String task) throws Exception {
        RecordingEvents events = new RecordingEvents();
        long t0 = System.nanoTime();
        NetworkSpec net = result(supervisor.start(new TaskLaunch(task, 1, BRIDGE, Map.of("redis", redis()), Map.of()),
                events));
        Event ready = events.await("ready", "redis", Duration.ofSeconds(10));
        System.out.printf("bridge task: start -> redis ready %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        assertEquals(NetworkSpec.BRIDGE, net.mode());
        assertEquals("/run/netns/" + TaskIds.namespaceName(task), net.path());
        assertEquals(net, ready.get("network"));
        String host = (String) ready.get("host");
        assertTrue(host.startsWith("198.18."), host);
        return new Started(task, net.path(), host, "/run/netns/" + TaskIds.namespaceName(task) + "-redis",
                (long) events.first("starting", "redis").orElseThrow().get("pid"));
    }

    @Test
    void aTaskReachesOnlyItsOwnServices_evenWithAForgedNeighbourItsVictimsAddressOrMac() throws Exception {
        Started a = startRedis(bridgeTask("bridge-a"));
        Started b = startRedis(bridgeTask("bridge-b"));
        assertNotEquals(a.host(), b.host());
        assertEquals("OK", redis(a.netns(), a.host(), "set", "owner", "a").lastLine());
        assertEquals("OK", redis(b.netns(), b.host(), "set", "owner", "b").lastLine());

        // 0. B sees nothing of A's traffic, not even the ARP broadcasts A sends for its service: A
        // broadcasts five times; B's own stray frames (its service's ARP, say) may add one or two.
        long received = rxPackets(b.netns());
        for (int i = 0; i < 5; i++) {
            assertTrue(in(a.netns(), Tools.IP, "neigh", "flush", "dev", "berth0").ok());
            assertEquals("PONG", redis(a.netns(), a.host(), "ping").lastLine());
        }
        assertTrue(rxPackets(b.netns()) - received < 5, "A's ARP broadcasts reached B");
        // 1. plainly: B's ARP for A's service never gets past B's port, so no SYN is ever sent and nothing answers:
        // the connection times out (as the README says), it is not reset
        Exec.Result direct = redis(b.netns(), a.host(), "get", "owner");
        assertFalse(direct.ok(), direct.output());
        assertFalse(direct.output().contains("Connection refused"), direct.output());
        // 2. B guesses A's service MAC and forges the neighbour entry: the SYN is answered by a reset
        String serviceMac = mac(a.serviceNetns());
        assertTrue(in(b.netns(), Tools.IP, "neigh", "replace", a.host(), "lladdr", serviceMac, "dev", "berth0",
                "nud", "permanent").ok());
        Exec.Result forged = redis(b.netns(), a.host(), "get", "owner");
        assertTrue(forged.output().contains("Connection refused"), forged.output());
        assertEquals("a", redis(a.netns(), a.host(), "get", "owner").lastLine(), "A keeps working");
        // 3. B takes A's address (spoofing): its packets and its ARP are dropped at its own port
        String taskAddress = address(a.netns());
        assertTrue(in(b.netns(), Tools.IP, "addr", "flush", "dev", "berth0").ok());
        assertTrue(in(b.netns(), Tools.IP, "addr", "add", taskAddress + "/16", "dev", "berth0").ok());
        Exec.Result spoofed = redis(b.netns(), a.host(), "get", "owner");
        assertFalse(spoofed.ok(), spoofed.output());
        assertEquals("a", redis(a.netns(), a.host(), "get", "owner").lastLine(), "A keeps working");
        // 4. ... and A's MAC as well
        assertTrue(in(b.netns(), Tools.IP, "link", "set", "berth0", "address", mac(a.netns())).ok());
        Exec.Result spoofedMac = redis(b.netns(), a.host(), "get", "owner");
        assertFalse(spoofedMac.ok(), spoofedMac.output());
        assertEquals("a", redis(a.netns(), a.host(), "get", "owner").lastLine(), "A keeps working");
        assertTrue(in(a.netns(), Tools.IP, "neigh", "show", a.host()).output().contains(serviceMac),
                "A's neighbour entry for its service is not poisoned");
        assertEquals("b", in(b.serviceNetns(), CLI, "get", "owner").lastLine(), "B never wrote to A's redis");

        long t0 = System.nanoTime();
        result(supervisor.stop(a.task()));
        System.out.printf("bridge task release (SIGTERM, namespaces, veths, rules) %d ms%n",
                (System.nanoTime() - t0) / 1_000_000);
        assertNothingLeft(a);
        String tables = in("/run/netns/" + hub, Tools.NFT, "list", "tables").output();
        assertFalse(tables.contains(TaskIds.shortHash(a.task())), tables);
        assertTrue(tables.contains(TaskIds.shortHash(b.task())), tables);
        assertEquals(2, in("/run/netns/" + hub, Tools.IP, "-o", "link", "show", "master", "berth0").output()
                .lines().count(), "the bridge keeps B's two ports only");
        result(supervisor.stop(b.task()));
        assertNothingLeft(b);
        assertFalse(Files.exists(Path.of("/run/netns", hub)), "the last bridge task takes the hub along");
    }

    @Test
    void twoServicesOfOneTaskOnTheSamePort_eachListensOnItsOwnAddress() throws Exception {
        String task = bridgeTask("bridge-same-port");
        cleanup.namespace(TaskIds.namespaceName(task) + "-other");
        RecordingEvents events = new RecordingEvents();
        Map<String, ServiceConfig> services = new java.util.LinkedHashMap<>();
        services.put("redis", redis());
        services.put("other", redis());

        NetworkSpec net = result(supervisor.start(new TaskLaunch(task, 1, BRIDGE, services, Map.of()), events));
        String first = (String) events.await("ready", "redis", Duration.ofSeconds(10)).get("host");
        String second = (String) events.await("ready", "other", Duration.ofSeconds(10)).get("host");

        assertNotEquals(first, second);
        assertEquals("OK", redis(net.path(), first, "set", "owner", "redis").lastLine());
        assertEquals("OK", redis(net.path(), second, "set", "owner", "other").lastLine());
        assertEquals("redis", redis(net.path(), first, "get", "owner").lastLine());
        assertEquals("other", redis(net.path(), second, "get", "owner").lastLine());
        result(supervisor.stop(task));
        assertNothingLeft(task);
    }

    @Test
    void bridgeTaskInItsOwnExistingNamespace_getsAVethThere_andTheNamespaceOutlivesIt() throws Exception {
        String joined = "berth-test-bjoin-" + ProcessHandle.current().pid();
        cleanup.namespace(joined);
        assertTrue(Exec.run(List.of(Tools.IP, "netns", "add", joined), Duration.ofSeconds(5)).ok());
        String task = bridgeTask("bridge-join");
        RecordingEvents events = new RecordingEvents();

        NetworkSpec net = result(supervisor.start(new TaskLaunch(task, 1,
                new NetworkSpec(NetworkSpec.BRIDGE, "/run/netns/" + joined), Map.of("redis", redis()), Map.of()), events));
        String host = (String) events.await("ready", "redis", Duration.ofSeconds(10)).get("host");

        assertEquals(new NetworkSpec(NetworkSpec.BRIDGE, "/run/netns/" + joined), net);
        assertEquals("PONG", redis(net.path(), host, "ping").lastLine());
        result(supervisor.stop(task));
        assertTrue(Files.exists(Path.of("/run/netns", joined)), "Berth never deletes a namespace it did not create");
        assertFalse(in(net.path(), Tools.IP, "link", "show", "berth0").ok(), "Berth's veth is gone from it");
        assertFalse(Files.exists(Path.of("/run/netns", hub)));
    }

    @Test
    void agentKilledWithTasksRunning_theNextAgentReapsServicesNamespacesVethsAndRules() throws Exception {
        Vertx dying = Vertx.vertx();
        Supervisor dead = new Supervisor(dying, settings);
        String bridged = bridgeTask("crash-bridge");
        String namespaced = cleanup.taskId("crash-ns");
        RecordingEvents events = new RecordingEvents();
        RecordingEvents nsEvents = new RecordingEvents();
        result(dead.start(new TaskLaunch(bridged, 1, BRIDGE, Map.of("redis", redis()), Map.of()), events));
        result(dead.start(new TaskLaunch(namespaced, 1, new NetworkSpec(NetworkSpec.NAMESPACE, null),
                Map.of("redis", redis()), Map.of()), nsEvents));
        events.await("ready", "redis", Duration.ofSeconds(10));
        nsEvents.await("ready", "redis", Duration.ofSeconds(10));
        long bridgedPid = (long) events.first("starting", "redis").orElseThrow().get("pid");
        long nsPid = (long) nsEvents.first("starting", "redis").orElseThrow().get("pid");
        // the agent dies: nothing of it runs any more, everything it made on the machine stays
        result(dying.close());
        assertTrue(ProcessTable.isLive(bridgedPid) && ProcessTable.isLive(nsPid));
        assertTrue(Files.exists(Path.of("/run/netns", hub)));

        List<String> reaped = result(supervisor.reapOrphans());

        assertTrue(reaped.stream().anyMatch(l -> l.contains("deleted bridge hub " + hub)), reaped.toString());
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> !ProcessTable.isLive(bridgedPid) && !ProcessTable.isLive(nsPid));
        assertNothingLeft(bridged);
        assertNothingLeft(namespaced);
        assertFalse(Files.exists(Path.of("/run/netns", hub)), "hub with its veths and tables is gone");
    }

    /** No namespace of the task (its own, its services') remains, nor any of its veths in the hub. */
    void assertNothingLeft(Started s) throws IOException {
        assertNothingLeft(s.task());
        assertFalse(ProcessTable.isLive(s.pid()), "redis still runs");
    }

    void assertNothingLeft(String task) throws IOException {
        try (Stream<Path> all = Files.list(Path.of("/run/netns"))) {
            List<String> left = all.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith(TaskIds.namespaceName(task))).toList();
            assertEquals(List.of(), left, "namespaces left");
        }
        assertFalse(supervisor.activeTaskIds().contains(task));
    }
}
