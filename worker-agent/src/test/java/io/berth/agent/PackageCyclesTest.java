package io.berth.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.events.testing.PackageCycles;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The agent's packages import each other in one direction only: the root holds what every package uses
 * ({@code AgentSettings}, {@code TaskIds}) and {@code boot/} (the assembled {@code WorkerAgent}) sits on top. (The root
 * once held {@code WorkerAgent} too, {@code runtime/} the selector that imports every runtime, and {@code logs/} took
 * its file layout from the process runtime, so twelve packages were one circle.)
 */
class PackageCyclesTest {
    /**
     * The one circle left, and the only one tolerated: {@code AgentSettings} holds the {@code SandboxSettings} while
     * the sandbox's {@code Cgroups} names cgroups with {@code TaskIds}. Breaking it means moving one of those two
     * across the sandbox's border; until then, any other circle fails this test, and so would this one growing.
     */
    private static final List<String> KNOWN = List.of(
            "io.berth.agent -> io.berth.agent.sandbox [AgentSettings.java] -> io.berth.agent [Cgroups.java]",
            "io.berth.agent.sandbox -> io.berth.agent [Cgroups.java] -> io.berth.agent.sandbox [AgentSettings.java]");

    @Test
    void noPackageReachesBackToOneThatDependsOnIt() {
        PackageCycles agent = PackageCycles.in(Path.of("src/main/java"), "io.berth.agent");

        assertThat(agent.packages()).contains("io.berth.agent", "io.berth.agent.boot", "io.berth.agent.supervisor",
                "io.berth.agent.runtime.container");
        assertThat(agent.cycles()).isSubsetOf(KNOWN);
    }
}
