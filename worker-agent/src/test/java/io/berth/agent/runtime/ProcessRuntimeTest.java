package io.berth.agent.runtime;

import io.berth.agent.AgentSettings;
import io.berth.agent.StateLayout;
import io.berth.agent.os.Exec;
import io.berth.agent.os.Tools;
import io.berth.agent.os.Users;
import io.berth.agent.sandbox.SandboxSettings;
import io.berth.agent.testing.Cleanup;
import io.berth.agent.testing.ServiceProcesses;
import io.berth.events.config.ServiceConfig;
import io.berth.events.payload.NetworkSpec;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.berth.agent.testing.Await.failure;
import static io.berth.agent.testing.Await.result;
import static io.berth.agent.testing.Configs.ports;
import static io.berth.agent.testing.Configs.run;
import static io.berth.agent.testing.Configs.runAs;
import static io.berth.agent.testing.Configs.service;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real processes, in a real namespace, as real users. */
@ExtendWith(VertxExtension.class)
class ProcessRuntimeTest {
    final Cleanup cleanup = new Cleanup();
    AgentSettings settings;
    ProcessRuntime runtime;
    String netns;

    @BeforeAll
    static void root() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Users.agentIsRoot(), "needs root");
    }

    @BeforeEach
    void setUp(Vertx vertx) throws Exception {
        settings = AgentSettings.defaults("w").withStateDir(cleanup.stateDir());
        runtime = new ProcessRuntime(vertx, new ServiceSetup(settings));
        String name = "berth-test-rt-" + ProcessHandle.current().pid();
        cleanup.namespace(name);
        assertTrue(Exec.run(List.of(Tools.IP, "netns", "add", name), Duration.ofSeconds(5)).ok());
        netns = "/run/netns/" + name;
    }

    @AfterEach
    void tearDown() throws Exception {
        cleanup.run();
    }

    ServiceLaunch launch(String service, ServiceConfig config) {
        return new ServiceLaunch("task-1", 3, service, config, Map.of(), netns);
    }

    static ServiceConfig config(io.berth.events.config.RunSpec run) {
        return service(run, List.of(), ports(1, 1), 1, Map.of("GREETING", "hi"), List.of());
    }

    @Test
    void serviceRunsInTheNamespace_asItsTasksOwnUser_inItsOwnPidNamespace_withACleanEnvironment() throws Exception {
        String script = "echo user=$(id -un) uid=$(id -u) groups=$(id -G); echo pwd=$(pwd); env | sort; "
                + "readlink /proc/self/ns/net; echo processes=$(ls -d /proc/[0-9]* | wc -l); exit 7";
        ServiceProcess p = result(runtime.start(launch("probe-me",
                config(new io.berth.events.config.RunSpec("/bin/sh", List.of("-c", script), "work", null, null)))));
        cleanup.processGroup(p.launched().pid());

        int code = result(p.exit());

        List<String> out = p.launched().log().tail(40);
        Path dir = ServiceWorkspace.location(settings.stateDir(), "task-1", "probe-me");
        assertEquals(7, code);
        String user = out.stream().filter(l -> l.startsWith("user=")).findFirst().orElseThrow();
        assertTrue(user.matches("user=berth-(\\d+) uid=\\1 groups=\\1"), "a task uid with no other group: " + user);
        int processes = Integer.parseInt(out.stream().filter(l -> l.startsWith("processes=")).findFirst().orElseThrow()
                .substring(10));
        assertTrue(processes <= 6, "sees only its sandbox's init, itself and its pipeline: " + processes);
        assertTrue(out.contains("pwd=" + dir.resolve("work")), out.toString());
        assertTrue(out.contains("GREETING=hi"), out.toString());
        assertTrue(out.contains("HOME=" + dir), out.toString());
        assertTrue(out.contains("BERTH_TASK_ID=task-1"), out.toString());
        assertTrue(out.contains("BERTH_SERVICE_NAME=probe-me"), out.toString());
        assertFalse(out.stream().anyMatch(l -> l.startsWith("JAVA_HOME=") || l.startsWith("MAVEN")), out.toString());
        String nsLink = "net:[" + Files.getAttribute(Path.of(netns), "unix:ino") + "]";
        assertTrue(out.contains(nsLink), "runs in " + nsLink + ": " + out);
        assertEquals(user.split(" ")[1].substring(4), Integer.toString(((Number) Files.getAttribute(dir,
                "unix:uid")).intValue()), "the scratch directory is the task user's");
        assertEquals(StateLayout.of(settings.stateDir()).log("task-1", 3, "probe-me"), p.launched().log().path());
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(settings.stateDir().resolve("logs"))), "logs are the agent's alone");

        result(p.cleanup());
        assertFalse(Files.exists(dir));
        assertTrue(Files.exists(p.launched().log().path()), "the log outlives the scratch dir");
    }

    @Test
    void aPortOnlyTheHostListensOn_isNotListeningForAServiceFromItsFirstInstant() throws Exception {
        // the port probe reads /proc/PID/net of the pid a start answers with: that process entered the task's network
        // namespace only after the answer, so a probe right away read the host's ports
        try (java.net.ServerSocket host = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            for (int i = 0; i < 30; i++) { // on the old launcher about one start in five read the host's
                ServiceProcess p = result(runtime.start(launch("silent-" + i, config(run("/bin/sleep", "30")))));
                cleanup.processGroup(p.launched().pid());
                var check = io.berth.agent.probe.Probes.forPorts(p.launched().pid(),
                        List.of(io.berth.agent.testing.Configs.port(host.getLocalPort()))).check();
                result(p.signalGroup(io.berth.agent.os.Signal.SIGKILL));
                assertFalse(check.isSuccess(), "start " + i + ": " + check.message());
            }
        }
    }

    @Test
    void sigtermReachesTheServicesGroup_andItsEndTakesEveryProcessAlong() throws Exception {
        // a child in the background, and one that leaves the service's session: both go with the service
        ServiceProcess p = result(runtime.start(launch("group", config(run("/bin/sh", "-c",
                "sleep 100 & setsid sleep 101 & wait")))));
        cleanup.processGroup(p.launched().pid());
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertEquals(4,
                ServiceProcesses.of(p.launched().pid()).size(), "alive " + p.isAlive() + ", exit " + p.exitCode() + ", log "
                        + p.launched().log().tail(5))); // launcher (the sandbox's init), sh, two sleeps
        List<ProcessHandle> all = ServiceProcesses.of(p.launched().pid());

        assertTrue(result(p.signalGroup(io.berth.agent.os.Signal.SIGTERM)));
        assertEquals(143, result(p.exit()));
        assertEquals(List.of(), ServiceProcesses.alive(all), "the launcher exits once every process is gone");
        assertFalse(result(p.anyAlive()));
    }

    @Test
    void unknownUser_missingProgram_rootAndPrototypes_areRefusedWithClearReasons(Vertx vertx) throws Exception {
        assertEquals("service 'a': run.user 'no-such-user' is not allowed on this worker (the operator allows none in "
                + "BERTH_ALLOWED_USERS); leave run.user out and the service runs as its task's own user",
                failure(runtime.start(launch("a", config(runAs("no-such-user", "/bin/true"))))).getMessage());
        assertEquals("service 'b': cannot run /nope: no such file",
                failure(runtime.start(launch("b", config(run("/nope"))))).getMessage());
        assertEquals("service 'c': cannot run nope: not found in PATH /usr/local/bin:/usr/bin:/bin",
                failure(runtime.start(launch("c", config(run("nope"))))).getMessage());
        var rootAllowedButNotAsUser = new ProcessRuntime(vertx, new ServiceSetup(settings.withSandbox(
                SandboxSettings.defaults().withAllowedUsers(java.util.Set.of("root")))));
        assertEquals("service 'd': run.user 'root' is root, which this agent does not allow",
                failure(rootAllowedButNotAsUser.start(launch("d", config(runAs("root", "/bin/true"))))).getMessage());
        assertTrue(failure(runtime.start(launch("e", config(io.berth.events.config.RunSpec.ofMessage("up")))))
                .getMessage().contains("prototype services (run: up) are not supported"));
        assertTrue(failure(runtime.start(launch("f", config(new io.berth.events.config.RunSpec("/bin/true", List.of(),
                "../..", null, null))))).getMessage().contains("escapes the service directory"));
        // nothing is left behind by a launch that failed
        assertFalse(Files.exists(settings.stateDir().resolve("tasks").resolve(io.berth.agent.os.TaskIds.shortHash("task-1"))
                .resolve("b")));
    }

    @Test
    void theSetupIsMadeWhileTheNetworkIsMade_andTheServiceRunsOnceItIsThere() throws Exception {
        io.vertx.core.Promise<String> network = io.vertx.core.Promise.promise();
        io.vertx.core.Future<ServiceProcess> started = runtime.start(launch("early", config(run("/bin/sh", "-c",
                "readlink /proc/self/ns/net"))).inNetwork(null), network.future());
        Path dir = ServiceWorkspace.location(settings.stateDir(), "task-1", "early");
        String cgroup = io.berth.agent.sandbox.Cgroups.serviceName("task-1", 3, "early");

        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> Files.isDirectory(dir)
                && io.berth.agent.sandbox.Cgroups.forStateDir(settings.stateDir()).names().contains(cgroup));
        // nothing runs before its network is there: the start stays pending (a launch would complete it at once)
        org.awaitility.Awaitility.await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(5))
                .until(() -> !started.isComplete());
        network.complete(netns);
        ServiceProcess p = result(started);
        cleanup.processGroup(p.launched().pid());

        assertEquals(0, result(p.exit()));
        assertEquals(List.of("net:[" + Files.getAttribute(Path.of(netns), "unix:ino") + "]"),
                p.launched().log().tail(1), "runs in the network it waited for");
    }

    @Test
    void aNetworkThatFails_launchesNothing_andTheSetupMadeMeanwhileGoes() throws Exception {
        io.vertx.core.Promise<String> network = io.vertx.core.Promise.promise();
        io.vertx.core.Future<ServiceProcess> started = runtime.start(launch("doomed", config(run("/bin/echo",
                "ran"))).inNetwork(null), network.future());
        Path dir = ServiceWorkspace.location(settings.stateDir(), "task-1", "doomed");
        String cgroup = io.berth.agent.sandbox.Cgroups.serviceName("task-1", 3, "doomed");
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> Files.isDirectory(dir));

        network.fail("cannot create network namespace: out of luck");

        assertEquals("cannot create network namespace: out of luck", failure(started).getMessage());
        assertFalse(Files.exists(dir), "its scratch directory is gone");
        assertFalse(io.berth.agent.sandbox.Cgroups.forStateDir(settings.stateDir()).names().contains(cgroup),
                "its cgroup is gone");
        Path log = StateLayout.of(settings.stateDir()).log("task-1", 3, "doomed");
        org.awaitility.Awaitility.await("nothing ran").during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(5))
                .until(() -> !(Files.exists(log) && Files.readString(log).contains("ran")));
    }

    @Test
    void rootOnlyWhenTheOperatorAllowsIt(Vertx vertx) throws Exception {
        var allowing = new AgentSettings("w", settings.stateDir(), "nobody", true, NetworkSpec.NAMESPACE, 4)
                .withSandbox(SandboxSettings.defaults().withAllowedUsers(java.util.Set.of("root")));
        ServiceProcess p = result(new ProcessRuntime(vertx, new ServiceSetup(allowing)).start(launch("r",
                config(runAs("root", "/bin/sh", "-c", "id -u")))));
        assertEquals(0, result(p.exit()));
        assertEquals(List.of("0"), p.launched().log().tail(1));
    }
}
