package io.berth.agent.runtime.container;

import io.berth.agent.AgentSettings;
import io.berth.agent.os.TaskIds;
import io.berth.agent.StateLayout;
import io.berth.agent.os.Exec;
import io.berth.agent.os.Tools;
import io.berth.agent.supervisor.Supervisor;
import io.berth.agent.supervisor.TaskLaunch;
import io.berth.agent.testing.Cleanup;
import io.berth.agent.testing.RecordingEvents.Event;
import io.berth.agent.testing.RecordingEvents;
import io.berth.events.config.InputSpec;
import io.berth.events.config.ProbeSpec;
import io.berth.events.config.ResourceLimits;
import io.berth.events.config.RunSpec;
import io.berth.events.config.ServiceConfig;
import io.berth.events.payload.NetworkSpec;
import io.berth.events.payload.TaskServicesReleased.ServiceRelease;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.berth.agent.testing.Await.result;
import static io.berth.agent.testing.Configs.port;
import static io.berth.agent.testing.Configs.ports;
import static io.berth.agent.testing.Configs.probe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Container services through the supervisor, against a real engine: a private {@code podman system service}
 * started for this class, in real network namespaces, with a busybox image built here (no registry).
 */
@ExtendWith(VertxExtension.class)
class ContainerServiceTest {
    private static PodmanEngine podman;
    private static Vertx engineVertx;
    private static EngineClient engine;

    final Cleanup cleanup = new Cleanup();
    final RecordingEvents events = new RecordingEvents();
    AgentSettings settings;
    Supervisor supervisor;

    @BeforeAll
    static void startEngine() throws Exception {
        String missing = PodmanEngine.unavailable();
        Assumptions.assumeTrue(missing == null, missing);
        engineVertx = Vertx.vertx();
        long t0 = System.nanoTime();
        podman = PodmanEngine.start(engineVertx);
        engine = new EngineClient(engineVertx, podman.socket);
        podman.ensureBusybox(engine);
        System.out.printf("podman system service up, busybox image ready: %d ms%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    @AfterAll
    static void stopEngine() throws Exception {
        if (podman != null) {
            podman.stop();
        }
        if (engineVertx != null) {
            result(engineVertx.close());
        }
    }

    @BeforeEach
    void setUp(Vertx vertx) throws Exception {
        settings = AgentSettings.defaults("container-test").withStateDir(cleanup.stateDir())
                .withDefaultNetworkMode(NetworkSpec.NAMESPACE);
        supervisor = new Supervisor(vertx, settings, ContainerRuntime.forSocket(vertx, settings, podman.socket));
        result(supervisor.reapOrphans()); // claims the state dir, as an agent does
    }

    @AfterEach
    @Timeout(200) // stopAll's 60 s, then tidying (an engine started again, see PodmanEngine.answer)
    void tearDown() throws Exception {
        try {
            result(supervisor.stopAll(), Duration.ofSeconds(60));
        } finally {
            try {
                podman.tidy(engine, settings.stateDir());
            } finally {
                cleanup.run();
            }
        }
    }

    static ServiceConfig container(String image, RunSpec run, List<InputSpec> inputs, Map<String, Object> params,
                                   List<io.berth.events.config.PortSpec> ports, ProbeSpec probe, double grace,
                                   ResourceLimits limits) {
        return new ServiceConfig(null, image, null, run, inputs, params, ports, probe, grace, limits);
    }

    static RunSpec sh(String script) {
        return new RunSpec("/bin/sh", List.of("-c", script), null, null, null);
    }

    @Test
    void containerService_becomesReady_isReachedAt127001FromTheTaskNamespace_andStopsGracefully() throws Exception {
        String task = cleanup.taskId("ctr-web");
        Path site = Files.createDirectories(cleanup.stateDir().resolve("inputs/site"));
        Files.writeString(site.resolve("index.html"), "served from a task input\n");
        ServiceConfig web = container(PodmanEngine.BUSYBOX,
                sh("echo \"greeting=$GREETING\"; (touch /www/x 2>/dev/null && echo input-writable) || echo input-read-only;"
                        + " trap 'echo got SIGTERM; exit 0' TERM; httpd -f -p 8080 -h /www & wait"),
                List.of(new InputSpec("site", "/www")), Map.of("GREETING", "hello"), List.of(port(8080)),
                ports(100, 0.2), 5, new ResourceLimits("64m", 0.5));

        long t0 = System.nanoTime();
        NetworkSpec net = result(supervisor.start(new TaskLaunch(task, 1, null, Map.of("web", web),
                Map.of("site", site.toString())), events));
        Event ready = events.await("ready", "web", Duration.ofSeconds(30));

        long startedAt = (long) ready.get("startedAt");
        System.out.printf("container start->ready %d ms (engine start call->ready %d ms, port open at +%d ms)%n",
                TimeUnit.NANOSECONDS.toMillis(ready.atNanos() - t0), (long) ready.get("readyAt") - startedAt,
                (Long) ready.get("portOpenAt") - startedAt);
        assertEquals("127.0.0.1", ready.get("host"));
        assertEquals(Map.of("default", 8080), ready.get("ports"));
        Exec.Result page = Exec.run(List.of(Tools.NSENTER, "--net=" + net.path(), "--", "/bin/busybox", "wget", "-q",
                "-O-", "http://127.0.0.1:8080/index.html"), Duration.ofSeconds(10));
        assertEquals("served from a task input", page.lastLine(), page.output());
        Exec.Result fromHost = Exec.run(List.of("/bin/busybox", "wget", "-q", "-T", "2", "-O-",
                "http://127.0.0.1:8080/index.html"), Duration.ofSeconds(10));
        assertFalse(fromHost.ok(), "reachable from the host network: " + fromHost.output());

        List<JsonObject> containers = podman.containersOf(engine, settings.stateDir());
        assertEquals(1, containers.size());
        JsonObject inspected = podman.answer(engine, c -> c.inspect(containers.get(0).getString("Id")));
        JsonObject labels = inspected.getJsonObject("Config").getJsonObject("Labels");
        assertEquals(task, labels.getString(ContainerSpec.LABEL_TASK));
        assertEquals("web", labels.getString(ContainerSpec.LABEL_SERVICE));
        assertEquals("container-test", labels.getString(ContainerSpec.LABEL_AGENT));
        JsonObject host = inspected.getJsonObject("HostConfig");
        assertEquals("ns:" + net.path(), host.getString("NetworkMode"));
        assertEquals(64L << 20, host.getLong("Memory"));
        assertEquals(500_000_000L, host.getLong("NanoCpus"));
        long pid = (long) events.first("starting", "web").orElseThrow().get("pid");
        assertEquals(inspected.getJsonObject("State").getLong("Pid"), pid);

        long s0 = System.nanoTime();
        List<ServiceRelease> released = result(supervisor.stop(task));
        System.out.printf("container stop (SIGTERM obeyed) %d ms, release incl. removal %d ms%n",
                released.get(0).durationMillis(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - s0));

        assertEquals(new ServiceRelease("web", "SIGTERM", released.get(0).durationMillis(), 0), released.get(0));
        assertTrue(released.get(0).durationMillis() < 5000);
        assertEquals(List.of(), podman.containersOf(engine, settings.stateDir()));
        List<String> log = result(supervisor.logTail(task, 1, "web", 20));
        assertTrue(log.contains("greeting=hello"), log.toString());
        assertTrue(log.contains("input-read-only"), log.toString());
        assertTrue(log.contains("got SIGTERM"), log.toString());
        assertEquals("stopped", events.all().get(events.all().size() - 1).type());
    }

    @Test
    void containerIgnoringSigterm_isKilledAfterItsGracePeriod_andItsExitCodeReported() throws Exception {
        String task = cleanup.taskId("ctr-stubborn");
        // the probe runs inside the container: only there does /tmp/ready exist
        ServiceConfig stubborn = container(PodmanEngine.BUSYBOX,
                sh("trap '' TERM; sleep 0.3; touch /tmp/ready; while true; do sleep 0.1; done"), List.of(), Map.of(),
                List.of(), probe(new RunSpec("/bin/sh", List.of("-c", "test -f /tmp/ready && echo seen inside"), null,
                        null, null), 20, 1), 1, null); // an exec through the engine may take a few hundred ms

        result(supervisor.start(new TaskLaunch(task, 1, null, Map.of("stubborn", stubborn), Map.of()), events));
        events.await("ready", "stubborn", Duration.ofSeconds(30));
        // the file exists only inside the container: the check that succeeded ran there
        assertFalse(Files.exists(Path.of("/tmp/ready")), "a /tmp/ready on the host would make this test prove nothing");
        assertTrue(events.of("probe", "stubborn").stream().noneMatch(e -> e.get("result").equals("success")),
                "the attempt that succeeds is reported as ready, not as a probe");

        List<ServiceRelease> released = result(supervisor.stop(task));

        ServiceRelease r = released.get(0);
        System.out.printf("container ignoring SIGTERM killed after %d ms (grace 1 s)%n", r.durationMillis());
        assertEquals("SIGKILL", r.signal());
        assertEquals(137, r.exitCode());
        assertTrue(r.durationMillis() >= 1000 && r.durationMillis() < 3000, r.toString());
        assertEquals(List.of(), podman.containersOf(engine, settings.stateDir()));
    }

    @Test
    void imageWithItsOwnStopSignal_isStoppedByIt_andTheReleaseNamesIt() throws Exception {
        String image = "localhost/berth-test/busybox:2-stopsignal-int"; // like postgres's image: STOPSIGNAL SIGINT
        podman.ensureBusybox(engine, image, "STOPSIGNAL=SIGINT");
        String task = cleanup.taskId("ctr-sigint");
        ServiceConfig polite = container(image, sh("trap 'echo got INT; exit 0' INT; trap 'echo got TERM; exit 9' TERM;"
                        + " touch /tmp/ready; while true; do sleep 0.1; done"), List.of(), Map.of(), List.of(),
                probe(new RunSpec("/bin/sh", List.of("-c", "test -f /tmp/ready"), null, null, null), 30, 1), 5, null);

        result(supervisor.start(new TaskLaunch(task, 1, null, Map.of("polite", polite), Map.of()), events));
        Event ready = events.await("ready", "polite", Duration.ofSeconds(30));
        System.out.printf("STOPSIGNAL container ready %d ms after its start%n",
                (long) ready.get("readyAt") - (long) ready.get("startedAt"));
        Path log = StateLayout.of(settings.stateDir()).log(task, 1, "polite");

        ServiceRelease r = result(supervisor.stop(task)).get(0);

        assertEquals("SIGINT", r.signal(), r.toString());
        assertEquals(0, r.exitCode());
        assertTrue(Files.readString(log).contains("got INT"), Files.readString(log));
    }

    @Test
    void missingImage_failsTheServiceNamingIt_andLeavesNothingBehind() throws Exception {
        String task = cleanup.taskId("ctr-missing");
        String image = "localhost/berth-test/missing-" + UUID.randomUUID().toString().substring(0, 8) + ":1";
        ServiceConfig missing = container(image, null, List.of(), Map.of(), List.of(port(5432)), ports(5, 0.2), 1, null);

        result(supervisor.start(new TaskLaunch(task, 1, null, Map.of("db", missing), Map.of()), events));
        Event failed = events.await("failed", "db", Duration.ofSeconds(30));

        String reason = (String) failed.get("reason");
        assertTrue(reason.startsWith("service 'db': image '" + image + "' is not on this worker and could not be pulled: "),
                reason);
        assertTrue(events.first("starting", "db").isEmpty());
        assertEquals(List.of(), podman.containersOf(engine, settings.stateDir()));
        assertTrue(EngineException.isNotFound(org.junit.jupiter.api.Assertions.assertThrows(EngineException.class,
                () -> podman.answer(engine, c -> c.inspectImage(image)))));
        assertEquals(List.of(new ServiceRelease("db", "none", 0, null)), result(supervisor.stop(task)));
        assertFalse(Files.exists(Path.of("/run/netns", TaskIds.namespaceName(task))));
    }

    @Test
    void containerExitingByItself_reportsExitedWithItsCodeAndLastWords() throws Exception {
        String task = cleanup.taskId("ctr-exit");
        ServiceConfig crashing = container(PodmanEngine.BUSYBOX, sh("echo about to fail; sleep 0.3; exit 7"),
                List.of(), Map.of(), List.of(), ports(5, 0.2), 1, null);

        result(supervisor.start(new TaskLaunch(task, 1, null, Map.of("crashing", crashing), Map.of()), events));
        Event exited = events.await("exited", "crashing", Duration.ofSeconds(30));

        assertEquals(7, exited.get("code"));
        assertEquals(List.of("about to fail"), exited.get("tail"));
        ServiceRelease r = result(supervisor.stop(task)).get(0);
        assertEquals(new ServiceRelease("crashing", "none", 0, 7), r);
        assertEquals(List.of(), podman.containersOf(engine, settings.stateDir()));
    }

    @Test
    void agentKilledWithSigkill_nextAgentReattachesToItsRunningContainer_andStopsItGracefully(Vertx vertx)
            throws Exception {
        crashedAgent("ctr-reattach", (dir, task, agent) -> {
            String id = podman.containersOf(engine, dir).get(0).getString("Id");
            agent.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL: nothing is released

            Supervisor restarted = agentRestartedOn(vertx, dir);
            RecordingEvents events = new RecordingEvents();
            long t0 = System.nanoTime();
            List<String> lines = result(recoverReattaching(restarted, events));
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);

            assertTrue(lines.stream().anyMatch(l -> l.startsWith("task " + task + ": re-attached")), lines.toString());
            List<JsonObject> running = podman.containersOf(engine, dir);
            assertEquals(1, running.size());
            assertEquals(id, running.get(0).getString("Id"));
            assertEquals("running", running.get(0).getString("State"));
            assertEquals(List.of("ready"), events.all().stream().map(RecordingEvents.Event::type).toList());

            ServiceRelease released = result(restarted.stop(task)).get(0);
            System.out.printf("restarted agent re-attached to container %s in %d ms; stopped it: %s%n",
                    id.substring(0, 12), tookMillis, released);
            assertEquals("SIGTERM", released.signal());
            assertEquals(List.of(), podman.containersOf(engine, dir));
            assertFalse(Files.exists(Path.of("/run/netns", TaskIds.namespaceName(task))));
            // what the service printed before the crash is in its log, once
            assertEquals(List.of("hello"), result(restarted.logTail(task, 1, "sleeper", 10)));
            result(restarted.stopAll());
        }, "reattachable");
    }

    @Test
    void agentKilledWithSigkill_taskWhoseNetworkIsGone_isReaped_itsContainerRemovedThroughTheEngine(Vertx vertx)
            throws Exception {
        crashedAgent("ctr-netgone", (dir, task, agent) -> {
            agent.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL: nothing is released
            // the task's network is gone while no agent ran: its services cannot be taken over
            Exec.Result del = Exec.run(List.of(Tools.IP, "netns", "del", TaskIds.namespaceName(task)),
                    Duration.ofSeconds(10));
            assertTrue(del.ok(), del.output());
            assertEquals("running", podman.containersOf(engine, dir).get(0).getString("State"));

            Supervisor restarted = agentRestartedOn(vertx, dir);
            RecordingEvents events = new RecordingEvents();
            List<String> lines = result(recoverReattaching(restarted, events));
            result(restarted.stopAll());

            assertTrue(lines.stream().anyMatch(l -> l.startsWith("task " + task + ": reaped (")), lines.toString());
            // through the engine, while it still ran: no SIGKILL from outside the engine first
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("task " + task + ": removed container berth-")
                    && l.endsWith("(service sleeper, running)")), lines.toString());
            assertTrue(lines.stream().noneMatch(l -> l.contains("killed service sleeper")), lines.toString());
            assertEquals(List.of(), podman.containersOf(engine, dir));
            assertEquals(List.of("exited", "stopped"), events.all().stream().map(RecordingEvents.Event::type).toList());
        }, "reattachable");
    }

    @Test
    void agentKilledWithSigkill_nextAgentOnItsStateDirReapsItsContainers(Vertx vertx) throws Exception {
        crashedAgent("ctr-crash", (dir, task, agent) -> {
            List<JsonObject> running = podman.containersOf(engine, dir);
            assertEquals(1, running.size());
            assertEquals("running", running.get(0).getString("State"));

            agent.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL: nothing is released
            assertEquals("running", podman.containersOf(engine, dir).get(0).getString("State"));

            Supervisor restarted = agentRestartedOn(vertx, dir);
            long t0 = System.nanoTime();
            List<String> reaped = result(restarted.reapOrphans());
            System.out.printf("restarted agent reaped %s in %d ms%n", reaped,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            result(restarted.stopAll());

            // through the engine, while it still ran: no SIGKILL from outside the engine first (that races the
            // engine's own clean-up)
            assertTrue(reaped.stream().anyMatch(l -> l.startsWith("task " + task + ": removed container berth-")
                    && l.endsWith("(service sleeper, running)")), reaped.toString());
            assertTrue(reaped.stream().noneMatch(l -> l.contains("killed service sleeper")), reaped.toString());
            assertEquals(List.of(), podman.containersOf(engine, dir));
            assertFalse(Files.exists(Path.of("/run/netns", TaskIds.namespaceName(task))));
        });
    }

    /** What a crash test does once its agent (in a JVM of its own, on state directory {@code dir}) runs {@code task}. */
    private interface AfterStart {
        void run(Path dir, String task, Process agent) throws Exception;
    }

    /**
     * Starts an agent in a JVM of its own on a fresh state directory, running a task named after {@code taskName}
     * ({@code mode} as {@link CrashingAgentMain} takes it), waits until it is READY and runs {@code test}; then
     * kills it and removes its containers and state directory, whatever happened.
     */
    private void crashedAgent(String taskName, AfterStart test, String... mode) throws Exception {
        Cleanup crashed = new Cleanup();
        Path dir = crashed.stateDir();
        String task = cleanup.taskId(taskName);
        Process agent = agentInAJvmOfItsOwn(dir, task, mode);
        try {
            awaitLine(agent, "READY", Duration.ofSeconds(60));
            test.run(dir, task, agent);
        } finally {
            agent.destroyForcibly();
            podman.tidy(engine, dir);
            crashed.run();
        }
    }

    /** The agent started after the crash, on the crashed one's state directory. */
    private static Supervisor agentRestartedOn(Vertx vertx, Path dir) {
        AgentSettings next = AgentSettings.defaults("crash-test").withStateDir(dir)
                .withDefaultNetworkMode(NetworkSpec.NAMESPACE);
        return new Supervisor(vertx, next, ContainerRuntime.forSocket(vertx, next, podman.socket));
    }

    /** Recovers, taking over what {@link CrashingAgentMain#reattachableLaunch} started; it reports to {@code events}. */
    private static io.vertx.core.Future<List<String>> recoverReattaching(Supervisor restarted, RecordingEvents events) {
        return restarted.recover(command -> java.util.Optional.of(new io.berth.agent.supervisor.Relauncher.Relaunch(
                CrashingAgentMain.reattachableLaunch(new String(command, StandardCharsets.UTF_8)), events)));
    }

    /** A {@link CrashingAgentMain} on state directory {@code dir}, starting {@code task}'s container service. */
    private static Process agentInAJvmOfItsOwn(Path dir, String task, String... mode) throws java.io.IOException {
        List<String> command = new java.util.ArrayList<>(List.of(ProcessHandle.current().info().command()
                .orElse("java"), "-cp", System.getProperty("java.class.path"), CrashingAgentMain.class.getName(),
                podman.socket.toString(), dir.toString(), task));
        command.addAll(List.of(mode));
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    private static void awaitLine(Process p, String wanted, Duration atMost) throws Exception {
        StringBuilder seen = new StringBuilder();
        CompletableFuture<Boolean> found = CompletableFuture.supplyAsync(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    synchronized (seen) {
                        seen.append(line).append('\n');
                    }
                    if (line.equals(wanted)) {
                        return true;
                    }
                }
                return false;
            } catch (java.io.IOException e) {
                return false;
            }
        });
        boolean ok;
        try {
            ok = found.get(atMost.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            ok = false;
        }
        if (!ok) {
            synchronized (seen) {
                throw new AssertionError("the agent never said " + wanted + "; its output:\n" + seen);
            }
        }
    }
}
