package io.berth.agent.journal;

import io.berth.agent.os.TaskIds;
import io.berth.agent.os.ProcessTable;
import io.berth.agent.os.Users;
import io.berth.agent.AgentSettings;
import io.berth.agent.supervisor.Supervisor;
import io.berth.agent.supervisor.TaskLaunch;
import io.berth.agent.sandbox.Cgroups;
import io.berth.agent.testing.Cleanup;
import io.berth.agent.testing.ServiceProcesses;
import io.berth.agent.testing.RecordingEvents;
import io.berth.events.config.ServiceConfig;
import io.berth.events.payload.NetworkSpec;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.berth.agent.testing.Await.result;
import static io.berth.agent.testing.Configs.ports;
import static io.berth.agent.testing.Configs.run;
import static io.berth.agent.testing.Configs.service;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An agent that died leaves services, a namespace and scratch dirs; the next one on the same state dir reaps them. */
@ExtendWith(VertxExtension.class)
class ReaperTest {
    final Cleanup cleanup = new Cleanup();
    AgentSettings settings;
    Supervisor crashed;

    @BeforeEach
    void setUp(Vertx vertx) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Users.agentIsRoot(), "needs root");
        settings = AgentSettings.defaults("w").withStateDir(cleanup.stateDir()).withDefaultNetworkMode("namespace")
                .withSandbox(io.berth.agent.sandbox.SandboxSettings.defaults().withHostNetwork(true));
        crashed = new Supervisor(vertx, settings);
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (crashed != null) {
                result(crashed.stopAll());
            }
        } finally {
            cleanup.run();
        }
    }

    @Test
    void nextAgentOnTheSameStateDir_reapsWhatTheDeadOneStarted(Vertx vertx) throws Exception {
        ServiceConfig sleeper = service(run("/bin/sh", "-c", "sleep 100 & sleep 100"), List.of(), ports(1, 1), 5);
        String inNs = cleanup.taskId("reap-ns");
        String onHost = cleanup.taskId("reap-host");
        RecordingEvents events = new RecordingEvents();
        RecordingEvents hostEvents = new RecordingEvents();
        result(crashed.start(new TaskLaunch(inNs, 2, null, Map.of("s", sleeper), Map.of()), events));
        result(crashed.start(new TaskLaunch(onHost, 1, new NetworkSpec("host", null), Map.of("s", sleeper), Map.of()),
                hostEvents));
        events.await("ready", "s", Duration.ofSeconds(5));
        long pidNs = (long) events.first("starting", "s").orElseThrow().get("pid");
        long pidHost = (long) hostEvents.await("starting", "s", Duration.ofSeconds(5)).get("pid");
        cleanup.processGroup(pidNs);
        cleanup.processGroup(pidHost);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() ->
                ServiceProcesses.of(pidNs).size() == 4 && ServiceProcesses.of(pidHost).size() == 4);
        List<ProcessHandle> all = new java.util.ArrayList<>(ServiceProcesses.of(pidNs));
        all.addAll(ServiceProcesses.of(pidHost));
        TaskJournal journal = new TaskJournal(settings.stateDir());
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> journal.readAll().stream().mapToInt(r -> r.services().size()).sum() == 2);
        TaskRecord nsRecord = journal.readAll().stream().filter(r -> r.taskId().equals(inNs)).findFirst().orElseThrow();
        assertEquals(TaskIds.namespaceName(inNs), nsRecord.namespace());
        assertEquals(2, nsRecord.generation());
        assertEquals(pidNs, nsRecord.services().get(0).pid());

        // the first agent is gone without releasing anything; a new one starts on the same state dir
        List<String> reaped = result(new Supervisor(vertx, settings).reapOrphans());

        assertTrue(reaped.stream().anyMatch(l -> l.contains("killed service s (pid " + pidHost + ")")), reaped.toString());
        assertTrue(reaped.stream().anyMatch(l -> l.contains("deleted network namespace")), reaped.toString());
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> ServiceProcesses.alive(all).isEmpty());
        assertFalse(Files.exists(Path.of("/run/netns", TaskIds.namespaceName(inNs))));
        assertEquals(List.of(), journal.readAll());
        try (var left = Files.list(settings.stateDir().resolve("tasks"))) {
            assertEquals(0, left.count());
        }
    }

    @Test
    void aDaemonThatLeftItsServicesSession_isStillInItsCgroup_andReaped(Vertx vertx) throws Exception {
        // a daemon: its own session, and no longer the service's child once the subshell that forked it is gone
        ServiceConfig escaping = service(run("/bin/sh", "-c", "(setsid sleep 100 & echo $! > $HOME/escaped.pid); "
                + "exec sleep 100"), List.of(), ports(1, 1), 5);
        String task = cleanup.taskId("reap-escaped");
        Path pidFile = io.berth.agent.runtime.ServiceWorkspace.location(settings.stateDir(), task, "s")
                .resolve("escaped.pid");
        RecordingEvents events = new RecordingEvents();
        result(crashed.start(new TaskLaunch(task, 1, new NetworkSpec("host", null), Map.of("s", escaping), Map.of()),
                events));
        long pid = (long) events.await("starting", "s", Duration.ofSeconds(5)).get("pid");
        cleanup.processGroup(pid);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(pidFile)
                && !Files.readString(pidFile).isBlank() && ServiceProcesses.of(pid).size() == 3);
        List<ProcessHandle> all = ServiceProcesses.of(pid); // launcher (the sandbox's init), the service's sleep, the daemon

        // its journal entry says nothing of the daemon: the cgroup does
        new TaskJournal(settings.stateDir()).remove(task);
        List<String> reaped = result(new Supervisor(vertx, settings).reapOrphans());

        assertTrue(reaped.stream().anyMatch(l -> l.contains("killed and removed cgroup " + Cgroups.taskPrefix(task))),
                reaped.toString());
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> ServiceProcesses.alive(all).isEmpty());
    }

    @Test
    void releasedTasks_leaveNoJournalEntry() throws Exception {
        String task = cleanup.taskId("journal-clean");
        result(crashed.start(new TaskLaunch(task, 1, null,
                Map.of("s", service(run("/bin/sleep", "100"), List.of(), ports(1, 1), 1)), Map.of()), null));
        TaskJournal journal = new TaskJournal(settings.stateDir());
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                .until(() -> journal.readAll().size() == 1 && journal.readAll().get(0).services().size() == 1);

        result(crashed.stop(task));

        assertEquals(List.of(), journal.readAll());
    }
}
