package io.berth.agent.sandbox;

import io.berth.agent.os.Users;
import io.berth.agent.testing.Cleanup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Real cgroups of this machine (root only). */
class CgroupsTest {
    final Cleanup cleanup = new Cleanup();

    @BeforeAll
    static void root() {
        assumeTrue(Users.agentIsRoot(), "needs root");
    }

    @AfterEach
    void tearDown() throws Exception {
        cleanup.run();
    }

    @Test
    void aLeftoverOfTheSameName_aCrashedAgentsWithAProcessInIt_isKilledAndMadeAnew() throws Exception {
        Cgroups cgroups = Cgroups.forStateDir(cleanup.stateDir());
        assumeTrue(!cgroups.anywhere("probe").dirs().isEmpty(), "no cgroups on this machine");
        String name = Cgroups.serviceName("task-1", 1, "db");
        ServiceCgroup leftover = cgroups.create(name, new Cgroups.Limits(64L, null, null));
        Process stray = new ProcessBuilder("sleep", "60").start();
        for (Path dir : leftover.dirs()) {
            Files.writeString(dir.resolve("cgroup.procs"), Long.toString(stray.pid()));
        }
        assertTrue(leftover.populated());

        ServiceCgroup again = cgroups.create(name, new Cgroups.Limits(32L, null, null));

        assertTrue(stray.waitFor(10, TimeUnit.SECONDS), "the leftover's process was killed");
        assertFalse(again.populated(), "the cgroup is a new, empty one");
        Path pids = again.dirs().stream().filter(d -> Files.exists(d.resolve("pids.max"))).findFirst().orElseThrow();
        assertEquals("32", Files.readString(pids.resolve("pids.max")).strip(), "with the new limits");
        again.remove();
        assertTrue(again.dirs().stream().noneMatch(Files::exists));
    }
}
