package io.berth.agent.sandbox;

import io.berth.agent.AgentSettings;
import io.berth.agent.StateLayout;
import io.berth.agent.os.Exec;
import io.berth.agent.os.Mounts;
import io.berth.agent.os.Tools;
import io.berth.agent.os.Users;
import io.berth.agent.runtime.ProcessRuntime;
import io.berth.agent.runtime.ServiceLaunch;
import io.berth.agent.runtime.ServiceProcess;
import io.berth.agent.runtime.ServiceSetup;
import io.berth.agent.testing.Cleanup;
import io.berth.events.config.RunSpec;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.berth.agent.testing.Await.result;
import static io.berth.agent.testing.Configs.ports;
import static io.berth.agent.testing.Configs.service;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The tasks' files on a capped tmpfs: real mounts, a real sandboxed service. */
@ExtendWith(VertxExtension.class)
class TaskFilesMountTest {
    final Cleanup cleanup = new Cleanup();
    Path tasks;

    @AfterEach
    void tearDown() throws Exception {
        if (tasks != null) {
            while (TaskFilesMount.isTmpfs(tasks)) { // also when a test failed with its mount in place
                Exec.run(List.of("umount", "-l", tasks.toString()), Duration.ofSeconds(10));
            }
        }
        cleanup.run();
    }

    @Test
    void theSizeIsTmpfsOwn_andAnythingElseIsRefusedNamingTheSetting() {
        assertEquals("25%", TaskFilesMount.sizeFrom(Map.of()));
        assertEquals("8g", TaskFilesMount.sizeFrom(Map.of(TaskFilesMount.SIZE_ENV, " 8g ")));
        assertEquals("off", TaskFilesMount.sizeFrom(Map.of(TaskFilesMount.SIZE_ENV, "OFF")));
        assertEquals("512m", TaskFilesMount.checkedSize("512m"));
        for (String bad : List.of("8g,exec,suid", "0", "-1g", "12tb", "150%", "lots")) {
            var e = assertThrows(IllegalArgumentException.class,
                    () -> TaskFilesMount.sizeFrom(Map.of(TaskFilesMount.SIZE_ENV, bad)), bad);
            assertTrue(e.getMessage().startsWith("BERTH_TASK_FILES_SIZE must be a size"), e.getMessage());
        }
    }

    @Test
    void aServiceFillingItsDirectory_runsIntoTheCap_notIntoTheDisk(Vertx vertx) throws Exception {
        assumeTrue(Users.agentIsRoot(), "needs root");
        AgentSettings settings = AgentSettings.defaults("w").withStateDir(cleanup.stateDir());
        tasks = StateLayout.of(settings.stateDir()).tasks();
        assertTrue(TaskFilesMount.mount(tasks, "4m").startsWith("task files on a tmpfs of 4m"));
        Mounts.Mount mount = Mounts.at(tasks);
        assertEquals("tmpfs", mount.fsType());
        assertTrue(mount.mountOptions().containsAll(List.of("nosuid", "nodev")),
                "a set-uid program or a device node a service leaves there gives it nothing: " + mount);

        String netns = "berth-test-tf-" + ProcessHandle.current().pid();
        cleanup.namespace(netns);
        assertTrue(Exec.run(List.of(Tools.IP, "netns", "add", netns), Duration.ofSeconds(5)).ok());
        ProcessRuntime runtime = new ProcessRuntime(vertx, new ServiceSetup(settings));
        // 16 MiB into its scratch directory, then 16 MiB into its /tmp: on disk both would land
        String script = "dd if=/dev/zero of=big bs=1M count=16 2>&1; echo scratch=$?; "
                + "dd if=/dev/zero of=/tmp/big bs=1M count=16 2>&1; echo tmp=$?; du -sk . /tmp";
        ServiceProcess p = result(runtime.start(new ServiceLaunch("task-1", 1, "filler",
                service(new RunSpec("/bin/sh", List.of("-c", script), null, null, null), List.of(), ports(1, 1), 1,
                        Map.of(), List.of()), Map.of(), "/run/netns/" + netns)));
        cleanup.processGroup(p.launched().pid());
        result(p.exit());

        List<String> out = p.launched().log().tail(40);
        assertTrue(out.stream().anyMatch(l -> l.contains("No space left on device")), out.toString());
        assertTrue(out.stream().anyMatch(l -> l.startsWith("scratch=") && !l.equals("scratch=0")), out.toString());
        assertTrue(out.stream().anyMatch(l -> l.startsWith("tmp=") && !l.equals("tmp=0")), out.toString());
        assertTrue(Files.getFileStore(tasks).getTotalSpace() <= 4L << 20, "the cap is the tmpfs's size");

        result(p.cleanup());
        new ServiceSetup(settings).releaseTask("task-1");
        TaskFilesMount.unmountIfUnused(tasks);
        assertFalse(TaskFilesMount.isTmpfs(tasks), "no task left: the tmpfs goes with the agent");
    }

    @Test
    void aPreviousAgentsTmpfsIsTakenOver_aPreviousAgentsFilesOnDiskAreNeverCovered() throws Exception {
        assumeTrue(Users.agentIsRoot(), "needs root");
        tasks = StateLayout.of(cleanup.stateDir()).tasks();
        TaskFilesMount.mount(tasks, "1m");
        Files.createDirectory(tasks.resolve("left-by-a-crashed-agent"));
        assertTrue(TaskFilesMount.mount(tasks, "1m").startsWith("task files on the tmpfs a previous agent mounted"));
        TaskFilesMount.unmountIfUnused(tasks);
        assertTrue(TaskFilesMount.isTmpfs(tasks), "a task is left in it: it stays for the next agent");
        Path mountPoint = tasks.toRealPath();
        long mounts = Mounts.current().stream().filter(m -> m.mountPoint().equals(mountPoint)).count();
        assertEquals(1, mounts, "taken over, not mounted again");

        Exec.run(List.of("umount", tasks.toString()), Duration.ofSeconds(10));
        Files.createDirectory(tasks.resolve("on-disk"));
        String where = TaskFilesMount.mount(tasks, "1m");
        assertTrue(where.contains("holds a previous agent's"), where);
        assertFalse(TaskFilesMount.isTmpfs(tasks));
        assertTrue(Files.isDirectory(tasks.resolve("on-disk")));
        assertTrue(TaskFilesMount.mount(tasks, "off").endsWith("(BERTH_TASK_FILES_SIZE=off)"));
    }
}
