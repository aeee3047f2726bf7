package io.berth.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.events.testing.PackageCycles;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The event types' packages import each other in one direction only: the basic types ({@code json/}, {@code
 * validation/}) use nothing above them, {@code config/} and {@code payload/} build on those, and the codec and the
 * envelope in the root package sit on top. (The root once held {@code Json} and {@code ValidationError} while its
 * {@code EventCodec} imported {@code config/}, which imported them back.)
 */
class PackageCyclesTest {
    @Test
    void noPackageReachesBackToOneThatDependsOnIt() {
        PackageCycles events = PackageCycles.in(Path.of("src/main/java"), "io.berth.events");

        assertThat(events.packages()).contains("io.berth.events", "io.berth.events.config", "io.berth.events.json");
        assertThat(events.cycles()).isEmpty();
    }
}
