package io.berth.agent.supervisor;

import io.berth.agent.AgentSettings;
import io.berth.agent.os.ProcessTable;
import io.berth.agent.os.Users;
import io.berth.agent.testing.Cleanup;
import io.berth.agent.testing.RecordingEvents;
import io.berth.agent.testing.TestPrototypes;
import io.berth.events.config.InputSpec;
import io.berth.events.config.PortSpec;
import io.berth.events.config.ProbeSpec;
import io.berth.events.config.RunSpec;
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

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.berth.agent.supervisor.SupervisorNamespaceTest.inNamespace;
import static io.berth.agent.supervisor.SupervisorNamespaceTest.services;
import static io.berth.agent.testing.Await.result;
import static io.berth.agent.testing.TestPrototypes.info;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Stopping prototype-based services: {@code down} first, within the grace period, then signals. */
@ExtendWith(VertxExtension.class)
class SupervisorPrototypeTest {
    /** The prototypes Berth ships (the tests run in worker-agent/). */
    static final Path SHIPPED = Path.of("../examples/prototypes").toAbsolutePath().normalize();

    final Cleanup cleanup = new Cleanup();
    final RecordingEvents events = new RecordingEvents();
    TestPrototypes prototypes;
    Supervisor supervisor;

    @BeforeAll
    static void root() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Users.agentIsRoot(), "needs root");
    }

    @BeforeEach
    void setUp(Vertx vertx) throws Exception {
        prototypes = new TestPrototypes(cleanup.stateDir().resolve("prototypes"));
        AgentSettings settings = AgentSettings.defaults("w").withStateDir(cleanup.stateDir())
                .withDefaultNetworkMode(NetworkSpec.NAMESPACE).withPrototypeDirs(List.of(prototypes.dir(), SHIPPED));
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

    static ServiceConfig prototype(String type, Map<String, Object> params, List<InputSpec> inputs,
                                   List<PortSpec> ports, double grace) {
        return new ServiceConfig(type, null, null, RunSpec.ofMessage("up"), inputs, params, ports,
                new ProbeSpec(null, 50, 0.2), grace);
    }

    List<String> log(String task, String service) throws Exception {
        return result(supervisor.logTail(task, 1, service, 50));
    }

    @Test
    void down_isSentBeforeSigterm_withTheRequestOnStdin() throws Exception {
        prototypes.write("polite", Map.of(
                "info", info("up", "down"),
                "up", "trap 'echo up: got SIGTERM; exit 0' TERM; echo up: running; while :; do sleep 0.05; done",
                "down", "echo \"down: $(cat)\""));
        String task = cleanup.taskId("down");
        result(supervisor.start(new TaskLaunch(task, 1, null,
                services("svc", prototype("polite", Map.of("name", "x"), List.of(), List.of(), 5)), Map.of()), events));
        events.await("ready", "svc", Duration.ofSeconds(5));

        List<ServiceRelease> released = result(supervisor.stop(task));

        List<String> log = log(task, "svc");
        int down = indexOf(log, "down: {\"object\":{\"name\":\"x\"},\"response_path\":\"/");
        int term = indexOf(log, "up: got SIGTERM");
        assertTrue(down >= 0 && term > down, "down before SIGTERM:\n" + String.join("\n", log));
        assertEquals("SIGTERM", released.get(0).signal());
    }

    @Test
    void down_isSentEvenWhenUpExitedByItself_toCleanUpWhatUpLeft() throws Exception {
        prototypes.write("brittle", Map.of(
                "info", info("up", "down"),
                "up", "echo up: crashing soon; sleep 0.3; exit 3",
                "down", "echo down: cleaning up"));
        String task = cleanup.taskId("brittle");
        result(supervisor.start(new TaskLaunch(task, 1, null,
                services("svc", prototype("brittle", Map.of(), List.of(), List.of(), 2)), Map.of()), events));
        events.await("ready", "svc", Duration.ofSeconds(5));
        assertEquals(3, events.await("exited", "svc", Duration.ofSeconds(5)).get("code"));

        List<ServiceRelease> released = result(supervisor.stop(task));

        assertTrue(log(task, "svc").contains("down: cleaning up"), String.join("\n", log(task, "svc")));
        assertEquals("none", released.get(0).signal());
    }

    @Test
    void downEndedByUpsExit_runsAgainOnItsOwn_andFinishes() throws Exception {
        // as docker-compose up does once down stopped its containers: up exits while down still works (removing them)
        prototypes.write("stack", Map.of(
                "info", info("up", "down"),
                "up", "echo up: running; while [ ! -e down-began ]; do sleep 0.02; done; echo up: leaving",
                "down", "touch down-began; echo down: began; sleep 0.5; echo down: finished"));
        String task = cleanup.taskId("stack");
        result(supervisor.start(new TaskLaunch(task, 1, null,
                services("svc", prototype("stack", Map.of(), List.of(), List.of(), 5)), Map.of()), events));
        events.await("ready", "svc", Duration.ofSeconds(5));

        result(supervisor.stop(task));

        List<String> log = log(task, "svc");
        assertTrue(log.contains("up: leaving"), String.join("\n", log));
        assertTrue(log.contains("down: finished"), "down finished its work:\n" + String.join("\n", log));
    }

    @Test
    void prototypeHangingInDown_isKilledWithinTheGracePeriod_downAndAll() throws Exception {
        prototypes.write("stuck", Map.of(
                "info", info("up", "down"),
                "up", "trap '' TERM; echo up: running; while :; do sleep 0.05; done",
                "down", "echo down: running; exec sleep 600.25"));
        String task = cleanup.taskId("stuck");
        result(supervisor.start(new TaskLaunch(task, 1, null,
                services("svc", prototype("stuck", Map.of(), List.of(), List.of(), 1)), Map.of()), events));
        events.await("ready", "svc", Duration.ofSeconds(5));
        long up = (long) events.first("starting", "svc").orElseThrow().get("pid");

        long t0 = System.nanoTime();
        List<ServiceRelease> released = result(supervisor.stop(task));
        long elapsedMs = (System.nanoTime() - t0) / 1_000_000;

        assertTrue(log(task, "svc").contains("down: running"));
        System.out.printf("hanging down: released after %d ms (%s, %d ms)%n", elapsedMs, released.get(0).signal(),
                released.get(0).durationMillis());
        assertEquals("SIGKILL", released.get(0).signal());
        assertTrue(released.get(0).durationMillis() >= 1000 && released.get(0).durationMillis() < 1800,
                "killed at the end of the 1 s grace period, not later: " + released.get(0).durationMillis() + " ms");
        assertTrue(ProcessHandle.allProcesses().noneMatch(h -> h.info().arguments()
                .map(a -> List.of(a).contains("600.25")).orElse(false)), "down was killed");
        assertFalse(ProcessTable.isLive(up), "up was killed");
    }

    @Test
    void shippedComposePrototype_startsInOrder_fromAStackFileInAnInput_andDownStopsInReverse() throws Exception {
        Path stack = Files.createDirectories(cleanup.stateDir().resolve("artifacts/stack"));
        Files.setPosixFilePermissions(stack.getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(stack, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(stack.resolve("stack.yml"), """
                processes:
                - name: first
                  command: %s
                  ready: perl -MIO::Socket::INET -e 'IO::Socket::INET->new("127.0.0.1:7801") or exit 1'
                - name: second
                  command: %s
                - name: third
                  command: %s
                """.formatted(listener("first", 7801), listener("second", 7802), listener("third", 7803)));
        String task = cleanup.taskId("compose");
        NetworkSpec net = result(supervisor.start(new TaskLaunch(task, 1, null,
                services("stack", prototype("compose", Map.of("file", "stack/stack.yml"),
                        List.of(new InputSpec("stack", null)),
                        List.of(new PortSpec("first", 7801), new PortSpec("second", 7802), new PortSpec("third", 7803)),
                        5)),
                Map.of("stack", stack.toString())), events));
        events.await("ready", "stack", Duration.ofSeconds(10));

        assertEquals("third", inNamespace(net.path(), "perl", "-MIO::Socket::INET", "-e",
                "print IO::Socket::INET->new('127.0.0.1:7803')->getline").lastLine());
        List<ServiceRelease> released = result(supervisor.stop(task));

        List<String> log = log(task, "stack");
        String all = String.join("\n", log);
        assertTrue(indexOf(log, "compose: started first") < indexOf(log, "compose: first is ready")
                && indexOf(log, "compose: first is ready") < indexOf(log, "compose: started second"), all);
        int third = indexOf(log, "third stopping");
        int second = indexOf(log, "second stopping");
        int first = indexOf(log, "first stopping");
        assertTrue(third >= 0 && third < second && second < first, "stopped in reverse order:\n" + all);
        assertTrue(indexOf(log, "compose: stopped") > first, all);
        assertEquals("SIGTERM", released.get(0).signal(), "down stopped everything within the grace period");
    }

    /** A perl one-liner listening on {@code port}, answering its name, saying when it stops. */
    static String listener(String name, int port) {
        return ("perl -MIO::Socket::INET -e '$| = 1; $SIG{TERM} = sub { print \"NAME stopping\\n\"; exit 0 }; "
                + "$s = IO::Socket::INET->new(LocalAddr => \"127.0.0.1:PORT\", Listen => 5, ReuseAddr => 1) or die; "
                + "while ($c = $s->accept) { print $c \"NAME\\n\"; close $c }'")
                .replace("NAME", name).replace("PORT", Integer.toString(port));
    }

    static int indexOf(List<String> lines, String prefix) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }
}
