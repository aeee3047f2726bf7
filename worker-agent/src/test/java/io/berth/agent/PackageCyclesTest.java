package io.berth.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.events.testing.PackageCycles;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The agent's packages import each other in one direction only: the root holds what every package uses
 * ({@code AgentSettings}, {@code StateLayout}), {@code os/} the names a task's things get on the host ({@code TaskIds}),
 * and {@code boot/} (the assembled {@code WorkerAgent}) sits on top. (The root once held {@code WorkerAgent} too,
 * {@code runtime/} the selector that imports every runtime, {@code logs/} took its file layout from the process
 * runtime, and the sandbox's {@code Cgroups} named cgroups with the root's {@code TaskIds}, so twelve packages were one
 * circle.)
 */
class PackageCyclesTest {
    @Test
    void noPackageReachesBackToOneThatDependsOnIt() {
        PackageCycles agent = PackageCycles.in(Path.of("src/main/java"), "io.berth.agent");

        assertThat(agent.packages()).contains("io.berth.agent", "io.berth.agent.boot", "io.berth.agent.supervisor",
                "io.berth.agent.runtime.container");
        assertThat(agent.cycles()).isEmpty();
    }
}
