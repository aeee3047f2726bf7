package io.berth.cli;

import io.berth.agent.StateLayout;
import io.berth.agent.os.Mounts;
import io.berth.agent.os.Users;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The agent of a real stack puts its tasks' files on their tmpfs when it starts and takes it away when it stops. */
class TaskFilesTest {
    @Test
    void theAgentMountsTheTasksTmpfsAtStart_andUnmountsItAtStop() throws Exception {
        assumeTrue(Users.agentIsRoot(), "needs root");
        EmbeddedStack stack = EmbeddedStack.start(new EmbeddedStack.Options(0, 0, null, "task-files-worker"), null);
        Path stateDir = stack.agentStateDir().orElseThrow();
        Path tasks = StateLayout.of(stateDir).tasks();
        try {
            Mounts.Mount mount = Mounts.at(tasks);
            assertThat(mount).as("mounted at " + tasks).isNotNull();
            assertThat(mount.fsType()).isEqualTo("tmpfs");
            assertThat(mount.mountOptions()).contains("nosuid", "nodev");
        } finally {
            stack.close();
        }
        try {
            assertThat(Mounts.at(tasks)).as("no task left: the tmpfs goes with the agent").isNull();
        } finally {
            RunStateDirs.remove(stateDir);
        }
    }
}
