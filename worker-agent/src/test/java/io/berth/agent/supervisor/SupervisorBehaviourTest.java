package io.berth.agent.supervisor;

import io.berth.agent.AgentSettings;
import io.berth.agent.StateLayout;
import io.berth.agent.os.TaskIds;
import io.berth.agent.os.ProcessTable;
import io.berth.agent.os.Users;
import io.berth.agent.sandbox.Cgroups;
import io.berth.agent.testing.Cleanup;
import io.berth.agent.testing.RecordingEvents;
import io.berth.agent.testing.RecordingEvents.Event;
import io.berth.events.config.ServiceConfig;
import io.berth.events.payload.NetworkSpec;
import io.berth.events.payload.TaskServicesReleased.ServiceRelease;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.berth.agent.supervisor.SupervisorNamespaceTest.REDIS;
import static io.berth.agent.supervisor.SupervisorNamespaceTest.redis;
import static io.berth.agent.supervisor.SupervisorNamespaceTest.services;
import static io.berth.agent.testing.Await.failure;
import static io.berth.agent.testing.Await.result;
import static io.berth.agent.testing.Configs.port;
import static io.berth.agent.testing.Configs.ports;
import static io.berth.agent.testing.Configs.run;
import static io.berth.agent.testing.Configs.runAs;
import static io.berth.agent.testing.Configs.service;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Idempotency, generations, failures and host mode, through the supervisor's public API. */
@ExtendWith(VertxExtension.class)
class SupervisorBehaviourTest {
    final Cleanup cleanup = new Cleanup();
    final RecordingEvents events = new RecordingEvents();
    AgentSettings settings;
    Supervisor supervisor;

    @BeforeAll
    static void root() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Users.agentIsRoot(), "needs root");
    }

    @BeforeEach
    void setUp(Vertx vertx) throws Exception {
        settings = AgentSettings.defaults("w1").withStateDir(cleanup.stateDir()).withDefaultNetworkMode("namespace")
                .withSandbox(io.berth.agent.sandbox.SandboxSettings.defaults().withHostNetwork(true));
        supervisor = new Supervisor(vertx, settings);
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            result(supervisor.stopAll());
        } finally {
            cleanup.run();
        }
    }

    static ServiceConfig sleeper() {
        return service(run("/bin/sleep", "100"), List.of(), ports(3, 1), 1);
    }

    @Test
    void duplicateStart_launchesOnce_andReturnsTheSameNetwork() throws Exception {
        String task = cleanup.taskId("dup");
        TaskLaunch launch = new TaskLaunch(task, 1, null, services("a", sleeper(), "b", sleeper()), Map.of());

        Future<NetworkSpec> first = supervisor.start(launch, events);
        Future<NetworkSpec> second = supervisor.start(launch, events);
        NetworkSpec net = result(first);

        assertEquals(net, result(second));
        assertEquals(net, result(supervisor.start(launch, events)));
        events.await("ready", "a", Duration.ofSeconds(5));
        events.await("ready", "b", Duration.ofSeconds(5));
        assertEquals(1, events.of("starting", "a").size());
        assertEquals(1, events.of("starting", "b").size());
        assertEquals(Set.of(task), supervisor.activeTaskIds());
        assertEquals(2, supervisor.activeServices());
    }

    @Test
    void stop_isIdempotent_andUnknownTasksReleaseNothing() throws Exception {
        String task = cleanup.taskId("stop2");
        result(supervisor.start(new TaskLaunch(task, 1, null, services("s", sleeper()), Map.of()), events));

        Future<List<ServiceRelease>> a = supervisor.stop(task);
        Future<List<ServiceRelease>> b = supervisor.stop(task);
        List<ServiceRelease> released = result(a);

        assertEquals(released, result(b));
        assertEquals(released, result(supervisor.stop(task)));
        assertEquals(1, events.of("stopped", "s").size());
        assertEquals(List.of(), result(supervisor.stop("never-seen")));
        assertTrue(supervisor.activeTaskIds().isEmpty());
    }

    @Test
    void lateDuplicateStartAfterRelease_doesNotBringTheServicesBack() throws Exception {
        String task = cleanup.taskId("late");
        TaskLaunch launch = new TaskLaunch(task, 4, null, services("s", sleeper()), Map.of());
        result(supervisor.start(launch, events));
        result(supervisor.stop(task));

        Throwable e = failure(supervisor.start(launch, events));

        assertTrue(e.getMessage().contains("generation 4 was already released"), e.getMessage());
        assertEquals(1, events.of("starting", "s").size());
        assertTrue(supervisor.activeTaskIds().isEmpty());
    }

    @Test
    void newerGeneration_replacesTheRunningOne_olderIsRefused() throws Exception {
        String task = cleanup.taskId("gen");
        RecordingEvents gen1 = new RecordingEvents();
        result(supervisor.start(new TaskLaunch(task, 1, null, services("s", sleeper()), Map.of()), gen1));
        long pid1 = (long) gen1.await("starting", "s", Duration.ofSeconds(5)).get("pid");

        result(supervisor.start(new TaskLaunch(task, 2, null, services("s", sleeper()), Map.of()), events));

        assertEquals("SIGTERM", gen1.await("stopped", "s", Duration.ofSeconds(5)).get("signal"));
        assertFalse(ProcessTable.isLive(pid1));
        events.await("ready", "s", Duration.ofSeconds(5));
        assertTrue(failure(supervisor.start(new TaskLaunch(task, 1, null, services("s", sleeper()), Map.of()), events))
                .getMessage().contains("older than the running generation 2"));
        assertEquals(1, supervisor.activeServices());
    }

    @Test
    void servicesThatCannotLaunch_failWithTheirReason_othersStillStart() throws Exception {
        String task = cleanup.taskId("bad");
        result(supervisor.start(new TaskLaunch(task, 1, null, services(
                "ghost", service(runAs("x", "/bin/true"), List.of(), ports(1, 1), 1),
                "missing", service(run("/nope"), List.of(), ports(1, 1), 1),
                "fine", sleeper()), Map.of()), events));

        assertEquals("service 'ghost': run.user 'x' is not allowed on this worker (the operator allows none in "
                        + "BERTH_ALLOWED_USERS); leave run.user out and the service runs as its task's own user",
                events.await("failed", "ghost", Duration.ofSeconds(5)).get("reason"));
        assertEquals("service 'missing': cannot run /nope: no such file",
                events.await("failed", "missing", Duration.ofSeconds(5)).get("reason"));
        events.await("ready", "fine", Duration.ofSeconds(5));
        assertTrue(events.first("starting", "ghost").isEmpty());

        List<ServiceRelease> released = result(supervisor.stop(task));
        assertEquals(List.of(new ServiceRelease("ghost", "none", 0, null), new ServiceRelease("missing", "none", 0, null)),
                released.subList(0, 2));
        assertEquals("SIGTERM", released.get(2).signal());
    }

    @Test
    void serviceExitingBeforeReady_failsWithItsExitCodeAndLog() throws Exception {
        String task = cleanup.taskId("early");
        ServiceConfig config = service(run("/bin/sh", "-c", "echo 'FATAL: bad config' >&2; exit 1"),
                List.of(port(5432)), ports(30, 1), 1);

        result(supervisor.start(new TaskLaunch(task, 1, null, services("db", config), Map.of()), events));
        Event failed = events.await("failed", "db", Duration.ofSeconds(5));

        assertEquals("service 'db' exited with code 1 before it was ready", failed.get("reason"));
        assertEquals(List.of("FATAL: bad config"), failed.get("tail"));
        assertTrue(events.first("exited", "db").isEmpty());
        assertEquals(List.of(new ServiceRelease("db", "none", 0, 1)), result(supervisor.stop(task)));
    }

    @Test
    void stopWhileStarting_leavesNothingBehind() throws Exception {
        String task = cleanup.taskId("hasty");
        Future<NetworkSpec> start = supervisor.start(new TaskLaunch(task, 1, null,
                services("r", redis(6379), "s", sleeper()), Map.of()), events);
        List<ServiceRelease> released = result(supervisor.stop(task));

        assertEquals(2, released.size());
        assertTrue(start.isComplete());
        assertTrue(events.first("ready", "r").isEmpty() || events.first("stopped", "r").isPresent());
        assertFalse(Files.exists(Path.of("/run/netns", TaskIds.namespaceName(task))));
        // the services are set up while the network is made: that setup goes too
        assertFalse(Files.exists(StateLayout.of(settings.stateDir()).tasks().resolve(TaskIds.shortHash(task))),
                "scratch directories");
        assertTrue(Cgroups.forStateDir(settings.stateDir()).names().stream()
                .noneMatch(n -> n.startsWith(Cgroups.taskPrefix(task))), "cgroups");
        assertTrue(supervisor.activeTaskIds().isEmpty());
    }

    @Test
    void capacity_isEnforced_andDuplicatePortsInOneTaskAreRefused(Vertx vertx) throws Exception {
        Supervisor small = new Supervisor(vertx, settings.withCapacity(1));
        try {
            String a = cleanup.taskId("cap-a");
            result(small.start(new TaskLaunch(a, 1, null, services("s", sleeper()), Map.of()), events));
            Throwable full = failure(small.start(new TaskLaunch(cleanup.taskId("cap-b"), 1, null,
                    services("s", sleeper()), Map.of()), events));
            assertEquals("worker w1 is at capacity: 1 services active, 1 requested, capacity 1", full.getMessage());
            assertTrue(full instanceof NoRoomException, "a refusal the link reports as no_room: " + full);
        } finally {
            result(small.stopAll());
        }
        Throwable dup = failure(supervisor.start(new TaskLaunch(cleanup.taskId("dup-port"), 1, null,
                services("a", redis(6379), "b", redis(6379)), Map.of()), events));
        assertTrue(dup.getMessage().contains("port 6379 is used by both service 'a' and service 'b'"), dup.getMessage());
        Throwable badName = failure(supervisor.start(new TaskLaunch(cleanup.taskId("name"), 1, null,
                services("../etc", sleeper()), Map.of()), events));
        assertTrue(badName.getMessage().startsWith("invalid service name '../etc'"), badName.getMessage());
    }

    @Test
    void hostMode_runsOnTheHostNetwork_andRefusesATakenPort() throws Exception {
        int free;
        try (ServerSocket s = new ServerSocket(0)) {
            free = s.getLocalPort();
        }
        String task = cleanup.taskId("host");
        ServiceConfig redisOnHost = service(run(REDIS, "--port", Integer.toString(free), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no"), List.of(port(free)), ports(50, 0.2), 5);

        NetworkSpec net = result(supervisor.start(new TaskLaunch(task, 1, new NetworkSpec("host", null),
                services("redis", redisOnHost), Map.of()), events));
        Event ready = events.await("ready", "redis", Duration.ofSeconds(10));

        assertEquals(new NetworkSpec("host", null), net);
        assertEquals(new NetworkSpec("host", null), ready.get("network"));
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", free), 1000); // reachable from the host: no isolation
        }

        try (ServerSocket taken = new ServerSocket(0)) {
            String other = cleanup.taskId("host-taken");
            result(supervisor.start(new TaskLaunch(other, 1, new NetworkSpec("host", null),
                    services("web", sleeperOn(taken.getLocalPort())), Map.of()), events));
            assertEquals("service 'web': port " + taken.getLocalPort() + " (default) is already in use on this host; "
                    + "in host network mode ports must be free", events.await("failed", "web", Duration.ofSeconds(5))
                    .get("reason"));
        }
        assertEquals("SIGTERM", result(supervisor.stop(task)).get(0).signal());
    }

    static ServiceConfig sleeperOn(int port) {
        return service(run("/bin/sleep", "100"), List.of(port(port)), ports(3, 1), 1);
    }

    @Test
    void stopAll_releasesEveryTask_andRefusesNewOnes() throws Exception {
        String a = cleanup.taskId("all-a");
        String b = cleanup.taskId("all-b");
        result(supervisor.start(new TaskLaunch(a, 1, null, services("s", sleeper()), Map.of()), events));
        result(supervisor.start(new TaskLaunch(b, 1, null, services("s", sleeper()), Map.of()), new RecordingEvents()));

        result(supervisor.stopAll());

        assertTrue(supervisor.activeTaskIds().isEmpty());
        assertFalse(Files.exists(Path.of("/run/netns", TaskIds.namespaceName(a))));
        assertFalse(Files.exists(Path.of("/run/netns", TaskIds.namespaceName(b))));
        assertTrue(failure(supervisor.start(new TaskLaunch(cleanup.taskId("c"), 1, null, services("s", sleeper()),
                Map.of()), events)).getMessage().contains("shutting down"));
    }

    @Test
    void eventsArriveInLifecycleOrder() throws Exception {
        String task = cleanup.taskId("order");
        result(supervisor.start(new TaskLaunch(task, 1, null, services("r", redis(6379)), Map.of()), events));
        events.await("ready", "r", Duration.ofSeconds(10));
        result(supervisor.stop(task));

        List<String> types = events.all().stream().map(Event::type).toList();
        assertEquals("starting", types.get(0));
        assertEquals(List.of("ready", "stopped"), types.subList(types.size() - 2, types.size()));
        assertTrue(events.of("probe", "r").stream().noneMatch(e -> e.get("result").equals("success")),
                "the attempt that succeeds is reported as ready, not as a probe");
        assertSame(null, events.first("failed", "r").orElse(null));
    }
}
