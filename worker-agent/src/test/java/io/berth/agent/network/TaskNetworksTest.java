package io.berth.agent.network;

import io.berth.agent.TaskIds;
import io.berth.agent.os.Exec;
import io.berth.agent.os.Tools;
import io.berth.agent.os.Users;
import io.berth.agent.supervisor.AgentSettings;
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
        settings = AgentSettings.defaults("w").withStateDir(cleanup.stateDir());
    }

    @AfterEach
    void tearDown() throws Exception {
        cleanup.run();
    }

    static void assumeRoot() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Users.agentIsRoot(), "needs root");
    }

    @Test
    void namespace_isCreatedWithLoopbackUp_andReleasedOnce(Vertx vertx) throws Exception {
        assumeRoot();
        String task = cleanup.taskId("net");

        long t0 = System.nanoTime();
        TaskNetwork net = result(TaskNetworks.create(vertx, task, null, settings.withDefaultNetworkMode("namespace")));
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
    void namespaceRelease_killsProcessesThatEscapedTheirGroup(Vertx vertx) throws Exception {
        assumeRoot();
        String task = cleanup.taskId("escape");
        TaskNetwork net = result(TaskNetworks.create(vertx, task, new NetworkSpec("namespace", null), settings));
        Process daemon = new ProcessBuilder(Tools.NSENTER, "--net=" + net.path(), "--", Tools.SETSID, "--fork",
                "/bin/sleep", "100").start();
        daemon.waitFor();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> io.berth.agent.os.ProcessTable.inNetworkNamespace(Path.of(net.path())).size() == 1);
        long escaped = io.berth.agent.os.ProcessTable.inNetworkNamespace(Path.of(net.path())).get(0);

        result(net.release());

        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> !io.berth.agent.os.ProcessTable.isLive(escaped));
        assertFalse(Files.exists(Path.of(net.path())));
    }

    @Test
    void leftoverNamespaceOfTheSameTask_isReapedAndRecreated(Vertx vertx) throws Exception {
        assumeRoot();
        String task = cleanup.taskId("leftover");
        Exec.run(List.of(Tools.IP, "netns", "add", TaskIds.namespaceName(task)), Duration.ofSeconds(5));

        TaskNetwork net = result(TaskNetworks.create(vertx, task, null, settings.withDefaultNetworkMode("namespace")));

        assertTrue(Files.exists(Path.of(net.path())));
        result(net.release());
    }

    @Test
    void joinedNamespace_isUsedButNeverDeleted(Vertx vertx) throws Exception {
        assumeRoot();
        String name = "berth-test-join-" + ProcessHandle.current().pid();
        cleanup.namespace(name);
        Exec.run(List.of(Tools.IP, "netns", "add", name), Duration.ofSeconds(5));

        TaskNetwork net = result(TaskNetworks.create(vertx, "t", new NetworkSpec("namespace", "/run/netns/" + name),
                settings));
        result(net.release());

        assertInstanceOf(JoinedNamespace.class, net);
        assertEquals("/run/netns/" + name, net.path());
        assertTrue(Files.exists(Path.of("/run/netns", name)));
        assertEquals("network namespace /run/netns/none does not exist", failure(TaskNetworks.create(vertx, "t",
                new NetworkSpec("namespace", "/run/netns/none"), settings)).getMessage());
    }

    @Test
    void bridgeAndUnknownModes_areRefusedClearly(Vertx vertx) throws Exception {
        assertTrue(failure(TaskNetworks.create(vertx, "t", new NetworkSpec("bridge", null), settings)).getMessage()
                .contains("'bridge' is not supported"));
        assertTrue(failure(TaskNetworks.create(vertx, "t", new NetworkSpec("overlay", null), settings)).getMessage()
                .contains("unknown network mode 'overlay'"));
    }

    @Test
    void hostNetwork_refusesAPortAlreadyTaken(Vertx vertx) throws Exception {
        TaskNetwork host = result(TaskNetworks.create(vertx, "t", new NetworkSpec("host", null), settings));
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
