package io.berth.agent.supervisor;

import io.berth.agent.AgentSettings;
import io.berth.agent.os.TaskIds;
import io.berth.agent.os.Exec;
import io.berth.agent.os.ProcessTable;
import io.berth.agent.os.Tools;
import io.berth.agent.runtime.ServiceWorkspace;
import io.berth.agent.sandbox.Cgroups;
import io.berth.agent.sandbox.SandboxSettings;
import io.berth.agent.testing.Cleanup;
import io.berth.agent.testing.ServiceProcesses;
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
import java.util.Set;

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

    @Test
    void postgresInTaskNamespace_becomesReady_answersInside_unreachableFromHost_releasedBySigterm() throws Exception {
        String task = cleanup.taskId("pg");
        String script = "initdb -D data -U postgres -A trust -N >/dev/null && exec postgres -D data "
                + "-c listen_addresses=127.0.0.1 -c unix_socket_directories= -p 5432";
        ServiceConfig pg = service(run("/bin/sh", "-c", script), List.of(port(5432)),
                probe(run("pg_isready", "-h", "127.0.0.1", "-p", "5432"), 60, 0.5), 10,
                Map.of("PATH", PG_BIN + ":/usr/bin:/bin"), List.of());

        NetworkSpec net = result(supervisor.start(new TaskLaunch(task, 1, null, services("postgres", pg), Map.of()),
                events));
        Event ready = events.await("ready", "postgres", Duration.ofSeconds(30));

        long startedAt = (long) ready.get("startedAt");
        System.out.printf("postgres (initdb + start) spawn->ready %d ms, port open at +%d ms%n",
                (long) ready.get("readyAt") - startedAt, (Long) ready.get("portOpenAt") - startedAt);
        Exec.Result select = inNamespace(net.path(), PG_BIN + "/psql", "-h", "127.0.0.1", "-p", "5432", "-U",
                "postgres", "-tAc", "select 1");
        assertEquals("1", select.lastLine(), select.output());
        assertUnreachableFromHost(5432);
        long pid = (long) events.first("starting", "postgres").orElseThrow().get("pid");
        // postgres puts every child in its own session, outside the service's process group: all are in its sandbox
        List<ProcessHandle> children = ServiceProcesses.of(pid);
        assertTrue(children.size() > 3, "postgres runs its background processes");
        for (ProcessHandle h : children.subList(1, children.size())) { // past the launcher, the sandbox's init
            try {
                int uid = ((Number) Files.getAttribute(Path.of("/proc", Long.toString(h.pid())), "unix:uid")).intValue();
                assertTrue(uid >= SandboxSettings.DEFAULT_FIRST_UID, "runs as the task's own uid, not " + uid);
            } catch (java.nio.file.NoSuchFileException done) {
                // a helper postgres ran and ended meanwhile
            }
        }

        List<ServiceRelease> released = result(supervisor.stop(task));

        assertEquals("SIGTERM", released.get(0).signal(), released.toString());
        System.out.printf("postgres SIGTERM teardown %d ms%n", released.get(0).durationMillis());
        Event stopped = events.await("stopped", "postgres", Duration.ofSeconds(1));
        assertEquals("SIGTERM", stopped.get("signal"));
        assertGone(task, "postgres", pid);
        assertEquals(List.of(), ServiceProcesses.alive(children), "postgres children left");
    }

    @Test
    void postgresFromPreparedDataDirInput_startsWithoutInitdb(Vertx vertx) throws Exception {
        Path template = Files.createDirectory(cleanup.stateDir().resolve("pg-template"));
        Files.setAttribute(template, "unix:uid", 101);
        Path data = template.resolve("data");
        Exec.Result initdb = Exec.run(List.of("/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups",
                "--", PG_BIN + "/initdb", "-D", data.toString(), "-U", "postgres", "-A", "trust", "-N"),
                null, null, Duration.ofSeconds(30));
        assertTrue(initdb.ok(), initdb.output());
        String task = cleanup.taskId("pg-input");
        // a data directory prepared as postgres: the operator lets services run as that account
        supervisor = new Supervisor(vertx, settings.withSandbox(SandboxSettings.defaults()
                .withAllowedUsers(Set.of("postgres"))));
        ServiceConfig pg = service(runAs("postgres", PG_BIN + "/postgres", "-D", "pgdata", "-c",
                        "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-p", "5432"),
                List.of(port(5432)), probe(run(PG_BIN + "/pg_isready", "-h", "127.0.0.1", "-p", "5432"), 60, 0.5), 10,
                Map.of(), List.of(new io.berth.events.config.InputSpec("seed-db", "pgdata")));

        result(supervisor.start(new TaskLaunch(task, 1, null, services("postgres", pg),
                Map.of("seed-db", data.toString())), events));
        Event ready = events.await("ready", "postgres", Duration.ofSeconds(30));

        long startedAt = (long) ready.get("startedAt");
        System.out.printf("postgres (existing data dir) spawn->ready %d ms, port open at +%d ms%n",
                (long) ready.get("readyAt") - startedAt, (Long) ready.get("portOpenAt") - startedAt);
        List<ServiceRelease> released = result(supervisor.stop(task));
        assertEquals("SIGTERM", released.get(0).signal());
        System.out.printf("postgres SIGTERM teardown %d ms%n", released.get(0).durationMillis());
        assertTrue(Files.isDirectory(data.resolve("base")), "the input itself is left alone");
    }

    @Test
    void probeThatNeverSucceeds_failsAtThresholdTimesPeriod_andTheServiceIsTerminated() throws Exception {
        String task = cleanup.taskId("never");
        ServiceConfig config = service(run("/bin/sleep", "1000"), List.of(port(7777)),
                probe(run("/bin/sh", "-c", "echo not yet; exit 2"), 3, 0.2), 5);

        result(supervisor.start(new TaskLaunch(task, 1, null, services("stubborn", config), Map.of()), events));
        Event failed = events.await("failed", "stubborn", Duration.ofSeconds(5));

        Event starting = events.first("starting", "stubborn").orElseThrow();
        long afterMs = (failed.atNanos() - starting.atNanos()) / 1_000_000;
        System.out.printf("probe 3 x 0.2 s failed after %d ms (starting event -> failed event)%n", afterMs);
        // The starting event is sent once the process runs, a few ms after the probe's clock started;
        // ProbeRunnerTest pins the deadline itself on the runner's own clock.
        assertTrue(afterMs >= 560 && afterMs < 800, "failed after " + afterMs + " ms");
        String reason = (String) failed.get("reason");
        assertTrue(reason.startsWith("service 'stubborn': startup probe failed 3 times in 0.6"), reason);
        assertTrue(reason.endsWith("(failure_threshold 3 × period_seconds 0.2): sh exited 2: not yet"), reason);
        List<Event> probes = events.of("probe", "stubborn");
        assertEquals(List.of(1, 2, 3), probes.stream().map(e -> e.get("attempt")).toList());
        assertTrue(probes.stream().allMatch(e -> e.get("result").equals("failure")));
        // a service that will never be used is not kept running until the task ends
        long pid = (long) starting.get("pid");
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
        assertTrue(events.first("ready", "stubborn").isEmpty());
        assertTrue(events.first("stopped", "stubborn").isEmpty(), "stopped is reported with the task's release");

        List<ServiceRelease> released = result(supervisor.stop(task));
        assertEquals("SIGTERM", released.get(0).signal());
        assertEquals("SIGTERM", events.await("stopped", "stubborn", Duration.ofSeconds(5)).get("signal"));
        assertGone(task, "stubborn", (long) starting.get("pid"));
    }

    @Test
    void serviceIgnoringSigterm_isKilledAfterItsGrace_withItsChildren() throws Exception {
        String task = cleanup.taskId("trap");
        ServiceConfig config = service(run("/bin/sh", "-c", "trap '' TERM; /bin/sleep 1000; echo after"),
                List.of(), ports(3, 1), 0.3);

        result(supervisor.start(new TaskLaunch(task, 1, null, services("deaf", config), Map.of()), events));
        events.await("ready", "deaf", Duration.ofSeconds(5));
        long pid = (long) events.first("starting", "deaf").orElseThrow().get("pid");
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5))
                .until(() -> ServiceProcesses.of(pid).size() == 3); // launcher (the sandbox's init), sh, sleep
        List<ProcessHandle> all = ServiceProcesses.of(pid);

        List<ServiceRelease> released = result(supervisor.stop(task));

        ServiceRelease r = released.get(0);
        assertEquals("SIGKILL", r.signal());
        assertEquals(137, r.exitCode());
        assertTrue(r.durationMillis() >= 300 && r.durationMillis() < 700, "took " + r.durationMillis() + " ms");
        assertEquals(List.of(), ServiceProcesses.alive(all).stream().map(h -> h.pid() + " " + h.info().commandLine()
                .orElse("?")).toList());
        assertGone(task, "deaf", pid);
    }

    @Test
    void serviceCrashingAfterReady_isReportedExitedWithCodeAndLogTail() throws Exception {
        String task = cleanup.taskId("crash");
        ServiceConfig config = service(run("/bin/sh", "-c", "echo started; /bin/sleep 0.3; echo boom >&2; exit 3"),
                List.of(), ports(3, 1), 5);

        result(supervisor.start(new TaskLaunch(task, 1, null, services("fragile", config), Map.of()), events));
        events.await("ready", "fragile", Duration.ofSeconds(5));
        Event exited = events.await("exited", "fragile", Duration.ofSeconds(5));

        assertEquals(3, exited.get("code"));
        assertEquals(List.of("started", "boom"), exited.get("tail"));
        List<ServiceRelease> released = result(supervisor.stop(task));
        assertEquals(new ServiceRelease("fragile", "none", 0, 3), released.get(0));
    }

    @Test
    void twoServicesOfOneTaskOnTheSamePort_areRefusedInNamespaceMode_sayingWhy() {
        String task = cleanup.taskId("port-twice");

        var e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> result(supervisor.start(
                new TaskLaunch(task, 1, null, services("first", redis(6379), "second", redis(6379)), Map.of()), events)));

        assertEquals("task " + task + ": port 6379 is used by both service 'first' and service 'second'; they share "
                + "one network (in bridge network mode each service has its own)", e.getMessage());
        assertEquals(0, supervisor.activeServices());
    }

    @Test
    void twoTasksWithAServiceOnTheSamePort_runSideBySideIsolated() throws Exception {
        String a = cleanup.taskId("same-port-a");
        String b = cleanup.taskId("same-port-b");

        NetworkSpec netA = result(supervisor.start(new TaskLaunch(a, 1, null, services("redis", redis(6379)), Map.of()),
                events));
        RecordingEvents eventsB = new RecordingEvents();
        NetworkSpec netB = result(supervisor.start(new TaskLaunch(b, 1, null, services("redis", redis(6379)), Map.of()),
                eventsB));
        Event readyA = events.await("ready", "redis", Duration.ofSeconds(10));
        eventsB.await("ready", "redis", Duration.ofSeconds(10));
        System.out.printf("redis spawn->ready %d ms%n", (long) readyA.get("readyAt") - (long) readyA.get("startedAt"));

        assertTrue(inNamespace(netA.path(), "/usr/bin/redis-cli", "set", "owner", "a").ok());
        assertTrue(inNamespace(netB.path(), "/usr/bin/redis-cli", "set", "owner", "b").ok());
        assertEquals("a", inNamespace(netA.path(), "/usr/bin/redis-cli", "get", "owner").lastLine());
        assertEquals("b", inNamespace(netB.path(), "/usr/bin/redis-cli", "get", "owner").lastLine());
        assertEquals(2, supervisor.activeServices());

        long t0 = System.nanoTime();
        ServiceRelease releasedA = result(supervisor.stop(a)).get(0);
        System.out.printf("redis SIGTERM %d ms, whole task release (signal, wait, scratch dir, namespace) %d ms%n",
                releasedA.durationMillis(), (System.nanoTime() - t0) / 1_000_000);
        assertEquals("SIGTERM", releasedA.signal());
        assertEquals(Set.of(b), supervisor.activeTaskIds());
        assertEquals("b", inNamespace(netB.path(), "/usr/bin/redis-cli", "get", "owner").lastLine());
        result(supervisor.stop(b));
        assertEquals(0, supervisor.activeServices());
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

    /** @param pid the service's launcher, whose exit means its every process is gone */
    void assertGone(String task, String service, long pid) throws IOException {
        assertFalse(ProcessTable.isLive(pid), "the service's launcher is still there");
        for (Path cgroup : Cgroups.forStateDir(settings.stateDir()).anywhere(Cgroups.serviceName(task, 1, service))
                .dirs()) {
            assertFalse(Files.exists(cgroup), "cgroup left: " + cgroup);
        }
        assertFalse(Files.exists(Path.of("/run/netns", TaskIds.namespaceName(task))), "namespace left");
        assertFalse(Files.exists(ServiceWorkspace.location(settings.stateDir(), task, service)), "scratch dir left");
        assertFalse(supervisor.activeTaskIds().contains(task), "task still active");
    }
}
