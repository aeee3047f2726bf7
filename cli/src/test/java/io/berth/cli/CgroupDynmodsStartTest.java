package io.berth.cli;

import io.berth.agent.os.Exec;
import io.berth.agent.os.Mounts;
import io.berth.agent.os.Tools;
import io.berth.agent.os.Users;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The agent of a real stack sets {@code favordynmods} on the host's cgroup v2 mount when it starts
 * ({@code BERTH_CGROUP_FAVOR_DYNMODS} unset), keeping the mount's other options. The test takes the option off first
 * (another agent of this run may have set it) and leaves it set, as an agent does.
 */
class CgroupDynmodsStartTest {
    @Test
    void theAgentSetsFavordynmodsOnTheCgroup2MountAtStart_keepingItsOtherOptions() throws Exception {
        assumeTrue(Users.agentIsRoot(), "needs root");
        assumeTrue(System.getenv("BERTH_CGROUP_FAVOR_DYNMODS") == null, "the operator's setting decides");
        assumeTrue(Mounts.firstOfType("cgroup2") != null, "no cgroup v2 mount here");
        assumeTrue(Files.readAllLines(Path.of("/sys/kernel/cgroup/features")).contains("favordynmods"),
                "the kernel has no favordynmods");
        takeOff(Mounts.firstOfType("cgroup2"));
        Mounts.Mount before = Mounts.firstOfType("cgroup2");
        assertThat(before.superOptions()).doesNotContain("favordynmods");

        EmbeddedStack stack = EmbeddedStack.start(new EmbeddedStack.Options(0, 0, null, "dynmods-worker"), null);
        Path stateDir = stack.agentStateDir().orElseThrow();
        try {
            Mounts.Mount after = Mounts.firstOfType("cgroup2");
            assertThat(after.superOptions()).contains("favordynmods").containsAll(before.superOptions());
            assertThat(after.mountOptions()).containsExactlyInAnyOrderElementsOf(before.mountOptions());
        } finally {
            try {
                stack.close();
            } finally {
                RunStateDirs.remove(stateDir);
            }
        }
    }

    /** A remount with exactly the mount's options but favordynmods (mount(8) would otherwise keep it). */
    private static void takeOff(Mounts.Mount cgroup2) throws Exception {
        List<String> options = new ArrayList<>(cgroup2.mountOptions());
        cgroup2.superOptions().stream().filter(o -> !List.of("favordynmods", "rw", "ro").contains(o))
                .forEach(options::add);
        Exec.Result r = Exec.run(List.of(Tools.MOUNT, "--options-mode", "ignore", "-o",
                "remount," + String.join(",", options), cgroup2.mountPoint().toString()), Duration.ofSeconds(10));
        assertThat(r.ok()).as(r.oneLine()).isTrue();
    }
}
