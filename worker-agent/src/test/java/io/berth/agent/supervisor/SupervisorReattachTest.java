package io.berth.agent.supervisor;

import io.berth.agent.AgentSettings;
import io.berth.agent.os.TaskIds;
import io.berth.agent.journal.TaskJournal;
import io.berth.agent.os.ProcessTable;
import io.berth.agent.os.Users;
import io.berth.agent.testing.Cleanup;
import io.berth.agent.testing.RecordingEvents;
import io.berth.events.config.ServiceConfig;
import io.berth.events.payload.NetworkSpec;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.berth.agent.testing.Await.result;
import static io.berth.agent.testing.Configs.ports;
import static io.berth.agent.testing.Configs.probe;
import static io.berth.agent.testing.Configs.run;
import static io.berth.agent.testing.Configs.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An agent that dies leaves its services running; the next one on the same state directory re-attaches to them:
 * no service starts twice, a ready one stays ready, a starting one is probed on, a gone one is reported, and a
 * re-attached service is stopped gracefully like any other. (The dead agent is a supervisor that never claimed the
 * state directory and is simply abandoned; its processes are real.)
 */
@ExtendWith(VertxExtension.class)
class SupervisorReattachTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    final Cleanup cleanup = new Cleanup();
    AgentSettings settings;
    Supervisor crashed;
    Supervisor next;
    /** What the relauncher makes again: command bytes are the task id. */
    final Map<String, Relauncher.Relaunch> launches = new HashMap<>();
    Path flags;

    @BeforeEach
    void setUp(Vertx vertx) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Users.agentIsRoot(), "needs root");
        settings = AgentSettings.defaults("w").withStateDir(cleanup.stateDir()).withDefaultNetworkMode("namespace")
                .withSandbox(io.berth.agent.sandbox.SandboxSettings.defaults().withHostNetwork(true));
        crashed = new Supervisor(vertx, settings);
        // beside the state directory: a service's /tmp is its task's own, so the host's /tmp is not where it looks
        flags = Files.createTempDirectory(cleanup.stateDir().getParent(), "berth-reattach-flags");
        Files.setPosixFilePermissions(flags, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (next != null) {
                result(next.stopAll());
            }
        } finally {
            cleanup.run();
            try (var files = Files.walk(flags)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void nextAgent_reattachesToRunningServices_withoutStartingThemAgain_andStopsThemGracefully(Vertx vertx)
            throws Exception {
        ServiceConfig sleeper = service(run("/bin/sleep", "600"), List.of(), probe(run("/bin/true"), 20, 0.1), 5);
        String inNs = cleanup.taskId("reattach-ns");
        String onHost = cleanup.taskId("reattach-host");
        RecordingEvents first = new RecordingEvents();
        result(crashed.start(launch(inNs, 3, null, sleeper), first));
        result(crashed.start(launch(onHost, 1, new NetworkSpec("host", null), sleeper), first));
        await().atMost(WAIT).until(() -> first.of("ready", "s").size() == 2);
        long pidNs = pid(inNs);
        long pidHost = pid(onHost);
        cleanup.processGroup(pidNs);
        cleanup.processGroup(pidHost);
        await().atMost(WAIT).until(() -> new TaskJournal(settings.stateDir()).readAll().stream()
                .allMatch(r -> r.services().size() == 1 && r.services().get(0).ready()));

        next = new Supervisor(vertx, settings);
        List<String> lines = result(next.recover(relauncher()));

        assertThat(lines).anyMatch(l -> l.contains("task " + inNs + ": re-attached"))
                .anyMatch(l -> l.contains("task " + onHost + ": re-attached"));
        assertThat(next.inventory()).containsExactlyInAnyOrder(
                new Supervisor.Running(inNs, 3, List.of("s")), new Supervisor.Running(onHost, 1, List.of("s")));
        assertThat(ProcessTable.isLive(pidNs)).isTrue();
        assertThat(ProcessTable.isLive(pidHost)).isTrue();
        assertThat(Files.exists(Path.of("/run/netns", TaskIds.namespaceName(inNs)))).isTrue();
        RecordingEvents again = events(inNs);
        // ready is said again (the dead agent's may never have reached Kafka); nothing is started
        assertThat(again.all()).as("events after re-attaching").extracting(RecordingEvents.Event::type)
                .containsExactly("ready");

        // the same start, sent again by an orchestrator that never saw it acknowledged (or that lost the events):
        // nothing starts, the outcome is said again
        result(next.start(launches.get(inNs).launch(), again));
        assertThat(again.of("starting", "s")).isEmpty();
        assertThat(again.of("ready", "s")).hasSize(2);

        var released = result(next.stop(inNs));
        assertThat(released).singleElement().satisfies(r -> assertThat(r.signal()).isEqualTo("SIGTERM"));
        assertThat(again.await("stopped", "s", WAIT).get("signal")).isEqualTo("SIGTERM");
        assertThat(ProcessTable.isLive(pidNs)).as("the service's launcher, gone with its every process").isFalse();
        assertThat(Files.exists(Path.of("/run/netns", TaskIds.namespaceName(inNs)))).isFalse();
        assertThat(new TaskJournal(settings.stateDir()).readAll()).extracting(r -> r.taskId())
                .containsExactly(onHost);
    }

    @Test
    void aServiceStillStarting_isProbedOn_andOneThatDiedMeanwhile_isReportedExited(Vertx vertx) throws Exception {
        Path flag = flags.resolve("up");
        ServiceConfig slow = service(run("/bin/sleep", "600"), List.of(),
                probe(run("/usr/bin/test", "-e", flag.toString()), 600, 0.05), 5);
        ServiceConfig sleeper = service(run("/bin/sleep", "600"), List.of(), probe(run("/bin/true"), 20, 0.1), 5);
        String starting = cleanup.taskId("reattach-starting");
        String dying = cleanup.taskId("reattach-dying");
        RecordingEvents first = new RecordingEvents();
        result(crashed.start(launch(starting, 1, null, slow), first));
        result(crashed.start(launch(dying, 1, null, sleeper), first));
        await().atMost(WAIT).until(() -> first.of("ready", "s").size() == 1 && first.of("starting", "s").size() == 2);
        await().atMost(WAIT).until(() -> new TaskJournal(settings.stateDir()).readAll().stream()
                .anyMatch(r -> r.taskId().equals(dying) && r.services().get(0).ready()));
        long pidStarting = pid(starting);
        long pidDying = pid(dying);
        cleanup.processGroup(pidStarting);
        cleanup.processGroup(pidDying);
        ProcessHandle.of(pidDying).ifPresent(ProcessHandle::destroyForcibly); // dies while no agent watches
        await().atMost(WAIT).until(() -> !ProcessTable.isLive(pidDying));

        next = new Supervisor(vertx, settings);
        result(next.recover(relauncher()));

        RecordingEvents gone = events(dying);
        assertThat(gone.await("exited", "s", WAIT).get("code")).isEqualTo(-1);
        RecordingEvents probedOn = events(starting);
        Files.writeString(flag, "");
        probedOn.await("ready", "s", WAIT);
        assertThat(probedOn.of("starting", "s")).as("started again").isEmpty();
        assertThat(ProcessTable.isLive(pidStarting)).isTrue();
        assertThat(pid(starting)).isEqualTo(pidStarting);
    }

    @Test
    void aServiceLaunchedButNotJournalledYet_isReplaced_whileTheJournalledOneKeepsRunning(Vertx vertx)
            throws Exception {
        ServiceConfig sleeper = service(run("/bin/sleep", "600"), List.of(), probe(run("/bin/true"), 20, 0.1), 5);
        String task = cleanup.taskId("reattach-partial");
        TaskLaunch launch = new TaskLaunch(task, 1, null, Map.of("a", sleeper, "b", sleeper), Map.of(),
                task.getBytes(StandardCharsets.UTF_8));
        launches.put(task, new Relauncher.Relaunch(launch, new RecordingEvents()));
        RecordingEvents first = new RecordingEvents();
        result(crashed.start(launch, first));
        await().atMost(WAIT).until(() -> first.of("ready", "a").size() == 1 && first.of("ready", "b").size() == 1);
        TaskJournal journal = new TaskJournal(settings.stateDir());
        var full = journal.readAll().get(0);
        long pidA = full.service("a").pid();
        long pidB = full.service("b").pid();
        cleanup.processGroup(pidA);
        cleanup.processGroup(pidB);
        // as if the agent died right after launching b, before journalling it
        journal.write(new io.berth.agent.journal.TaskRecord(task, 1, full.namespace(),
                List.of(full.service("a")), full.command(), full.reattachable()));

        next = new Supervisor(vertx, settings);
        result(next.recover(relauncher()));

        RecordingEvents again = events(task);
        long newB = (long) again.await("starting", "b", WAIT).get("pid");
        again.await("ready", "b", WAIT);
        assertThat(again.of("starting", "a")).isEmpty();
        assertThat(ProcessTable.isLive(pidA)).isTrue();
        assertThat(newB).isNotEqualTo(pidB);
        cleanup.processGroup(newB);
        await().atMost(WAIT).until(() -> !ProcessTable.isLive(pidB));
        assertThat(new TaskJournal(settings.stateDir()).readAll().get(0).service("b").pid()).isEqualTo(newB);
    }

    @Test
    void aTaskWhoseNetworkCannotBeTakenOver_isReaped_andItsServicesReportedGone(Vertx vertx)
            throws Exception {
        ServiceConfig sleeper = service(run("/bin/sleep", "600"), List.of(), probe(run("/bin/true"), 20, 0.1), 5);
        String task = cleanup.taskId("reattach-unreadable");
        RecordingEvents first = new RecordingEvents();
        result(crashed.start(launch(task, 1, null, sleeper), first));
        first.await("ready", "s", WAIT);
        long pid = pid(task);
        cleanup.processGroup(pid);
        await().atMost(WAIT).until(() -> new TaskJournal(settings.stateDir()).readAll().stream()
                .allMatch(r -> r.services().size() == 1 && r.services().get(0).ready()));
        RecordingEvents told = new RecordingEvents();
        Relauncher.Relaunch original = launches.get(task);

        next = new Supervisor(vertx, settings);
        // the command reads, but its network cannot be taken over: the namespace is gone
        io.berth.agent.network.NamespaceNetwork.delete(TaskIds.namespaceName(task));
        result(next.recover(command -> Optional.of(new Relauncher.Relaunch(original.launch(), told))));

        assertThat(told.await("exited", "s", WAIT).get("code")).isEqualTo(-1);
        assertThat(told.await("stopped", "s", WAIT).get("signal")).isEqualTo("SIGKILL");
        await().atMost(WAIT).until(() -> !ProcessTable.isLive(pid));
        assertThat(next.inventory()).isEmpty();
        assertThat(new TaskJournal(settings.stateDir()).readAll()).isEmpty();
        assertThat(io.berth.agent.StateLayout.of(settings.stateDir()).task(task)).as("its scratch directory")
                .doesNotExist();
        // and the orchestrator's stop gets the same answer
        assertThat(result(next.stop(task))).singleElement()
                .satisfies(r -> assertThat(r.signal()).isEqualTo("SIGKILL"));
    }

    private TaskLaunch launch(String taskId, long generation, NetworkSpec network, ServiceConfig config) {
        TaskLaunch launch = new TaskLaunch(taskId, generation, network, Map.of("s", config), Map.of(),
                taskId.getBytes(StandardCharsets.UTF_8));
        launches.put(taskId, new Relauncher.Relaunch(launch, new RecordingEvents()));
        return launch;
    }

    private Relauncher relauncher() {
        return command -> Optional.ofNullable(launches.get(new String(command, StandardCharsets.UTF_8)));
    }

    private RecordingEvents events(String taskId) {
        return (RecordingEvents) launches.get(taskId).events();
    }

    private long pid(String taskId) throws Exception {
        return new TaskJournal(settings.stateDir()).readAll().stream().filter(r -> r.taskId().equals(taskId))
                .findFirst().map(r -> r.services().get(0).pid()).orElseThrow();
    }
}
