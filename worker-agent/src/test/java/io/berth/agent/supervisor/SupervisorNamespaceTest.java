package io.berth.agent.supervisor;

import io.berth.agent.TaskIds;
import io.berth.agent.os.Exec;
import io.berth.agent.os.ProcessTable;
import io.berth.agent.os.Tools;
import io.berth.agent.runtime.ServiceWorkspace;
import io.berth.agent.testing.Cleanup;
import io.berth.agent.testing.RecordingEvents;
import io.berth.agent.testing.RecordingEvents.Event;
import io.berth.events.config.ServiceConfig;
import io.berth.events.payload.NetworkSpec;
import io.berth.events.payload.TaskServicesReleased.ServiceRelease;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.berth.agent.testing.Await.result;
import static io.berth.agent.testing.Configs.port;
import static io.berth.agent.testing.Configs.ports;
import static io.berth.agent.testing.Configs.probe;
import static io.berth.agent.testing.Configs.run;
import static io.berth.agent.testing.Configs.runAs;
import static io.berth.agent.testing.Configs.service;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real services in real network namespaces, through the supervisor's public API. */
@ExtendWith(VertxExtension.class)
class SupervisorNamespaceTest {
    static final String REDIS = "/usr/bin/redis-server";
    static final String PG_BIN = "/usr/lib/postgresql/15/bin";

    final Cleanup cleanup = new Cleanup();
    final RecordingEvents events = new RecordingEvents();
    Supervisor supervisor;
    AgentSettings settings;

    @BeforeAll
    static void tools() {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.berth.agent.os.Users.agentIsRoot(), "needs root");
    }

    @BeforeEach
    void setUp(Vertx vertx) throws IOException {
        settings = AgentSettings.defaults("test-worker").withStateDir(cleanup.stateDir())
                .withDefaultNetworkMode(NetworkSpec.NAMESPACE);
        supervisor = new Supervisor(vertx, settings);
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            result(supervisor.stopAll(), Duration.ofSeconds(30));
        } finally {
            cleanup.run();
        }
    }

    static Map<String, ServiceConfig> services(Object... nameAndConfig) {
        Map<String, ServiceConfig> m = new LinkedHashMap<>();
        for (int i = 0; i < nameAndConfig.length; i += 2) {
            m.put((String) nameAndConfig[i], (ServiceConfig) nameAndConfig[i + 1]);
        }
        return m;
    }

    static ServiceConfig redis(int... portNumbers) {
        return service(run(REDIS, "--port", Integer.toString(portNumbers[0]), "--save", "", "--appendonly", "no"),
                List.of(port(portNumbers[0])), ports(50, 0.2), 5);
    }

    static Exec.Result inNamespace(String netns, String... argv) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Tools.NSENTER, "--net=" + netns, "--"));
        cmd.addAll(List.of(argv));
        return Exec.run(cmd, Duration.ofSeconds(10));
    }

    @Test
    void redisOnTwoNamedPorts_bothReportedAndReachableOnlyInsideTheNamespace() throws Exception {
        String task = cleanup.taskId("redis2");
        ServiceConfig config = service(
                run("/bin/sh", "-c", REDIS + " --port 6380 --save '' --appendonly no & exec " + REDIS
                        + " --port 6379 --save '' --appendonly no"),
                List.of(port(6379), port("replica", 6380)), ports(50, 0.2), 5);

        NetworkSpec net = result(supervisor.start(new TaskLaunch(task, 1, null, services("redis", config), Map.of()),
                events));

        assertEquals(NetworkSpec.NAMESPACE, net.mode());
        assertEquals("/run/netns/" + TaskIds.namespaceName(task), net.path());
        Event ready = events.await("ready", "redis", Duration.ofSeconds(10));
        assertEquals(Map.of("default", 6379, "replica", 6380), ready.get("ports"));
        assertEquals("127.0.0.1", ready.get("host"));
        assertEquals(net, ready.get("network"));
        long startedAt = (long) ready.get("startedAt");
        long readyAt = (long) ready.get("readyAt");
        System.out.printf("redis x2 spawn->ready %d ms, ports open at +%s ms%n", readyAt - startedAt,
                (Long) ready.get("portOpenAt") - startedAt);
        assertEquals("PONG", inNamespace(net.path(), "/usr/bin/redis-cli", "-p", "6379", "ping").lastLine());
        assertEquals("PONG", inNamespace(net.path(), "/usr/bin/redis-cli", "-p", "6380", "ping").lastLine());
        assertUnreachableFromHost(6379);

        List<ServiceRelease> released = result(supervisor.stop(task));

        assertEquals(1, released.size());
        assertEquals("redis", released.get(0).name());
        assertEquals("SIGTERM", released.get(0).signal());
        assertGone(task, "redis", (long) events.first("starting", "redis").orElseThrow().get("pid"));
    }

    void assertUnreachableFromHost(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            throw new AssertionError("port " + port + " is reachable from the host network");
        } catch (ConnectException expected) {
            // refused: nothing listens there on the host
        } catch (IOException e) {
            // timeout etc.: unreachable as well
        }
    }

    void assertGone(String task, String service, long pgid) throws IOException {
        assertEquals(List.of(), ProcessTable.groupMembers(pgid), "processes left in group " + pgid);
        assertFalse(Files.exists(Path.of("/run/netns", TaskIds.namespaceName(task))), "namespace left");
        assertFalse(Files.exists(ServiceWorkspace.location(settings.stateDir(), task, service)), "scratch dir left");
        assertFalse(supervisor.activeTaskIds().contains(task), "task still active");
    }
}
