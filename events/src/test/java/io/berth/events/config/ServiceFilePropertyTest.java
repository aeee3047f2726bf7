package io.berth.events.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.lists;

import io.berth.events.JsonGenerators;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * A task's {@code file:} entry is resolved inside its base directory or rejected: traversal, odd
 * characters and missing files end in {@link InvalidConfigException}, never in another exception nor
 * in a config read from outside (absolute paths excepted, they are taken as written).
 *
 * <p>The property draws from a new seed on every run; a failure reports the smallest falsifying path it
 * shrank to and the seed, which {@code -DQT_SEED=<seed>} replays (with {@code -Dtest=Class#method}).
 */
class ServiceFilePropertyTest {
    private static Path root;
    private static Path base;

    @BeforeAll
    static void createFiles() throws IOException {
        root = Files.createTempDirectory("berth-service-files");
        base = Files.createDirectories(root.resolve("build/ci"));
        Files.writeString(base.resolve("db.yml"), "image: inside\n");
        Files.createDirectories(base.resolve("services"));
        Files.writeString(base.resolve("services/db.yml"), "image: inside\n");
        Files.writeString(root.resolve("secret.yml"), "image: outside\n");
        Files.writeString(root.resolve("build/secret.yml"), "image: outside\n");
    }

    @AfterAll
    static void removeFiles() throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void relativeFiles_resolveInsideTheBaseOrAreRejected() {
        qt().withExamples(300).forAll(files()).checkAssert(file -> {
            ServiceRequest request = new ServiceRequest("db", file, null, null, null);
            ServiceConfig config;
            try {
                config = ServiceConfigs.resolve(request, base);
            } catch (InvalidConfigException e) {
                assertThat(e.errors()).isNotEmpty().allSatisfy(error -> assertThat(error.path()).startsWith("$"));
                return;
            }
            assertThat(config.image()).as("read from %s", file).isEqualTo("inside");
        });
    }

    @Test
    void fileNameWithANul_isRejected() {
        assertThatThrownBy(() -> ServiceConfigs.resolve(new ServiceRequest("db", "db.yml\u0000", null, null, null), base))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith("service 'db': $.file: 'db.yml\u0000' is not a file path");
    }

    /** Relative paths built from real names, traversal, separators and hostile strings. */
    private static Gen<String> files() {
        Gen<String> segment = Generate.frequency(
                JsonGenerators.weighted(4, Generate.pick(List.of("db.yml", "services", "..", ".", "", "secret.yml", "build", "ci"))),
                JsonGenerators.weighted(1, Generate.pick(JsonGenerators.HOSTILE_NAMES)));
        Gen<String> separator = Generate.pick(List.of("/", "//", "/./", "\\"));
        return lists().of(segment).ofSizeBetween(1, 5).zip(separator, (parts, sep) -> String.join(sep, parts))
                .assuming(file -> !file.startsWith("/"));
    }
}
