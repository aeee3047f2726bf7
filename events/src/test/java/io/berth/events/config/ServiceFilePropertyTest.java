package io.berth.events.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.events.JsonArbitraries;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * A task's {@code file:} entry is resolved inside its base directory or rejected: traversal, odd
 * characters and missing files end in {@link InvalidConfigException}, never in another exception nor
 * in a config read from outside (absolute paths excepted, they are taken as written).
 */
class ServiceFilePropertyTest {
    private static Path root;
    private static Path base;

    @BeforeContainer
    static void createFiles() throws IOException {
        root = Files.createTempDirectory("berth-service-files");
        base = Files.createDirectories(root.resolve("build/ci"));
        Files.writeString(base.resolve("db.yml"), "image: inside\n");
        Files.createDirectories(base.resolve("services"));
        Files.writeString(base.resolve("services/db.yml"), "image: inside\n");
        Files.writeString(root.resolve("secret.yml"), "image: outside\n");
        Files.writeString(root.resolve("build/secret.yml"), "image: outside\n");
    }

    @AfterContainer
    static void removeFiles() throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Property(tries = 300)
    void relativeFiles_resolveInsideTheBaseOrAreRejected(@ForAll("files") String file) {
        ServiceRequest request = new ServiceRequest("db", file, null, null, null);
        ServiceConfig config;
        try {
            config = ServiceConfigs.resolve(request, base);
        } catch (InvalidConfigException e) {
            assertThat(e.errors()).isNotEmpty().allSatisfy(error -> assertThat(error.path()).startsWith("$"));
            return;
        }
        assertThat(config.image()).as("read from %s", file).isEqualTo("inside");
    }

    @Example
    void fileNameWithANul_isRejected() {
        assertThatThrownBy(() -> ServiceConfigs.resolve(new ServiceRequest("db", "db.yml\u0000", null, null, null), base))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith("service 'db': $.file: 'db.yml\u0000' is not a file path");
    }

    /** Relative paths built from real names, traversal, separators and hostile strings. */
    @Provide
    Arbitrary<String> files() {
        Arbitrary<String> segment = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, Arbitraries.of("db.yml", "services", "..", ".", "", "secret.yml", "build", "ci")),
                net.jqwik.api.Tuple.of(1, Arbitraries.of(JsonArbitraries.HOSTILE_NAMES)));
        Arbitrary<String> separator = Arbitraries.of("/", "//", "/./", "\\");
        return segment.list().ofMinSize(1).ofMaxSize(5).flatMap(parts -> separator.map(sep -> String.join(sep, parts)))
                .filter(file -> !file.startsWith("/"));
    }
}
