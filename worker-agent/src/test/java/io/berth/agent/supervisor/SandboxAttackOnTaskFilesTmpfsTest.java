package io.berth.agent.supervisor;

import io.berth.agent.StateLayout;
import io.berth.agent.os.Mounts;
import io.berth.agent.sandbox.TaskFilesMount;
import org.junit.jupiter.api.BeforeEach;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every attack of {@link SandboxAttackTest} again, with the tasks' files (scratch directories, account files, each
 * task's {@code /tmp}) on the tmpfs a root agent mounts for them ({@link TaskFilesMount}) instead of on disk: the
 * directories and their modes are the same, but they are on another file system, which the attacks must not get
 * around either.
 */
class SandboxAttackOnTaskFilesTmpfsTest extends SandboxAttackTest {
    @BeforeEach
    void taskFilesOnTmpfs() throws IOException {
        Path tasks = StateLayout.of(settings.stateDir()).tasks();
        TaskFilesMount.mount(tasks, "64m");
        Mounts.Mount mount = Mounts.at(tasks);
        assertThat(mount).as("a tmpfs at " + tasks).isNotNull();
        assertThat(mount.fsType()).isEqualTo("tmpfs");
    }
}
