package io.berth.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.events.testing.PackageCycles;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The orchestrator's packages import each other in one direction only: a package that reaches back to one that
 * depends on it (as {@code api/} once did to the root) makes both one unit to read. Reads the sources.
 */
class PackageCyclesTest {
    @Test
    void noPackageReachesBackToOneThatDependsOnIt() {
        PackageCycles orchestrator = PackageCycles.in(Path.of("src/main/java"), "io.berth.orchestrator");

        assertThat(orchestrator.packages()).contains("io.berth.orchestrator", "io.berth.orchestrator.coordinator");
        assertThat(orchestrator.cycles()).isEmpty();
    }
}
