package io.berth.events.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.berth.events.json.Json;
import io.berth.events.validation.ValidationError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ServiceConfigsTest {
    private static final String SOURCE = "ci/services/postgres.yml";

    @Test
    void proposalPostgresExample_isAServiceEntryWithInlineConfig() {
        String yaml = Resources.text("proposal/postgres-service.yml");

        ServiceConfig config = ServiceConfigs.parseYaml(yaml, SOURCE);

        assertEquals(new ImageResource("registry-image", Map.of("repository", "postgres")), config.imageResource());
        assertNull(config.image());
        assertNull(config.run());
        assertEquals(List.of(new InputSpec("some-input", null)), config.inputs());
        assertEquals(List.of(new PortSpec("default", 5432)), config.ports());
        assertEquals(new ProbeSpec(new RunSpec("pg_isready", List.of(), null, null, null), 10, 5), config.startupProbe());
        assertEquals(50_000, config.startupProbe().deadlineMillis());
        assertEquals(10, config.terminationGraceSeconds());

        ServiceRequest request = ServiceConfigs.parseRequestYaml(yaml, SOURCE);
        assertEquals("postgres", request.name());
        assertEquals(config, request.config());
    }

    @Test
    void proposalPrototypeExample_sendsTheUpMessageToDockerCompose() {
        ServiceRequest request = ServiceConfigs.parseRequestYaml(Resources.text("proposal/prototype-service.yml"), "concourse.yml");

        ServiceConfig config = request.config();
        assertEquals("concourse", request.name());
        assertEquals("docker-compose", config.type());
        assertEquals(RunSpec.ofMessage("up"), config.run());
        assertEquals(Map.of("files", List.of("concourse/docker-compose.yml",
                "ci/overrides/docker-compose.ci-containerd.yml")), config.params());
        assertEquals(List.of(new InputSpec("concourse", null), new InputSpec("ci", null)), config.inputs());
        assertEquals(List.of(new PortSpec("web", 8080)), config.ports());
        assertEquals(ProbeSpec.ports(), config.startupProbe());
    }

    @Test
    void designServiceConfig_readsEveryField() {
        ServiceConfig config = ServiceConfigs.parseYaml(Resources.text("proposal/design-service-config.yml"), SOURCE);

        assertEquals(new RunSpec("postgres", List.of("-D", "/data"), ".", "postgres", null), config.run());
        assertEquals(List.of(new InputSpec("seed-sql", null)), config.inputs());
        assertEquals(Map.of("PGDATA", "/data"), config.params());
        assertEquals(RunSpec.ofProcess("pg_isready", "-h", "127.0.0.1"), config.startupProbe().run());
        assertEquals(10, config.terminationGraceSeconds());
    }

    @ParameterizedTest
    @ValueSource(strings = {"proposal/postgres-service.yml", "proposal/prototype-service.yml",
            "proposal/design-service-config.yml"})
    void configs_roundTripThroughJson(String resource) {
        ServiceConfig config = ServiceConfigs.parseYaml(Resources.text(resource), resource);

        assertEquals(config, ServiceConfigs.fromJson(ServiceConfigs.toJson(config), resource));
        assertEquals(config, Json.read(Json.bytes(config), ServiceConfig.class));
    }

    @Test
    void prototypeWithoutRun_defaultsToUp() {
        ServiceConfig config = ServiceConfigs.parseYaml("type: docker-compose\n", SOURCE);

        assertEquals(RunSpec.ofMessage(RunSpec.DEFAULT_MESSAGE), config.run());
        assertEquals("\"up\"", Json.string(config.run()));
    }

    @Test
    void defaults_applyWhenLeftOut() {
        ServiceConfig config = ServiceConfigs.parseYaml("image: redis\nstartup_probe: {period_seconds: 0.5}\n", SOURCE);

        assertEquals(ProbeSpec.DEFAULT_FAILURE_THRESHOLD, config.startupProbe().failureThreshold());
        assertEquals(0.5, config.startupProbe().periodSeconds());
        assertNull(config.startupProbe().run());
        assertEquals(ServiceConfig.DEFAULT_TERMINATION_GRACE_SECONDS, config.terminationGraceSeconds());
        assertEquals(List.of(), config.ports());
    }

    @Test
    void resourceLimits_areReadAndSurviveAnImageOverride() {
        ServiceConfig config = ServiceConfigs.parseYaml("image: redis\nresources: {memory: 512m, cpus: 0.5}\n", SOURCE);

        assertEquals(new ResourceLimits("512m", 0.5), config.resources());
        assertEquals(512L << 20, config.resources().memoryBytes());
        assertEquals(1L << 30, new ResourceLimits("1G", null).memoryBytes());
        assertEquals(1000L, ServiceConfigs.parseYaml("image: x\nresources: {memory: 1000}\n", SOURCE).resources()
                .memoryBytes());
        assertEquals(config.resources(), ServiceConfigs.withOverrides(config, "redis:7", Map.of()).resources());
        assertNull(ServiceConfigs.parseYaml("image: redis\n", SOURCE).resources());
    }

    static Stream<Arguments> portNaming() {
        return Stream.of(
                Arguments.of("ports: [{number: 5432}]", List.of(new PortSpec("default", 5432))),
                Arguments.of("ports: [{name: db, number: 5432}]", List.of(new PortSpec("db", 5432))),
                Arguments.of("ports: [{number: 5432}, {name: metrics, number: 9187}]",
                        List.of(new PortSpec("default", 5432), new PortSpec("metrics", 9187))),
                Arguments.of("ports: [{name: web, number: 8080}, {name: api, number: 9090}]",
                        List.of(new PortSpec("web", 8080), new PortSpec("api", 9090))));
    }

    @ParameterizedTest
    @MethodSource("portNaming")
    void unnamedPort_isNamedDefault(String ports, List<PortSpec> expected) {
        assertEquals(expected, ServiceConfigs.parseYaml("image: postgres\n" + ports + "\n", SOURCE).ports());
    }

    static Stream<Arguments> invalidConfigs() {
        return Stream.of(
                Arguments.of("port out of range", """
                        image: postgres
                        ports:
                        - name: default
                          number: 70000
                        """, List.of("$.ports[0].number (line 4, column 11): must be between 1 and 65535")),
                Arguments.of("typo in a field name", """
                        image: postgres
                        startup_probe:
                          failure_treshold: 3
                          period_seconds: 0
                        """, List.of(
                        "$.startup_probe.failure_treshold (line 3, column 3): unknown field 'failure_treshold' (did you mean 'failure_threshold'?)",
                        "$.startup_probe.period_seconds (line 4, column 19): must be greater than 0 and at most 3600")),
                Arguments.of("unknown top-level field", "imgae: postgres\n",
                        List.of("$.imgae (line 1, column 1): unknown field 'imgae' (did you mean 'image'?)")),
                Arguments.of("two unnamed ports", "image: postgres\nports:\n- number: 5432\n- number: 5433\n",
                        List.of("$.ports[1] (line 4, column 3): duplicate port name 'default' (also ports[0]); a port without a name is named 'default'")),
                Arguments.of("duplicate port names", "image: x\nports: [{name: a, number: 1}, {name: a, number: 2}]\n",
                        List.of("$.ports[1].name (line 2, column 38): duplicate port name 'a' (also ports[0])")),
                Arguments.of("same port twice", "image: x\nports: [{name: a, number: 1}, {name: b, number: 1}]\n",
                        List.of("$.ports[1].number (line 2, column 49): port 1 is already listed as 'a'")),
                Arguments.of("nothing to run", "ports: [{number: 80}]\n",
                        List.of("$ (line 1, column 1): nothing to run: set run.path (a process), image or image_resource (a container), or type (a prototype)")),
                Arguments.of("message without prototype", "image: x\nrun: up\n",
                        List.of("$.run (line 2, column 6): 'up' is a prototype message and needs 'type' (the prototype); to run a process write run: {path: ...}")),
                Arguments.of("process for a prototype", "type: docker-compose\nrun: {path: up}\n",
                        List.of("$.run (line 2, column 6): a prototype-based service takes a message name here (e.g. run: up), not a process")),
                Arguments.of("structured env value", "image: x\nparams:\n  FILES: [a, b]\n",
                        List.of("$.params.FILES (line 3, column 10): must be a string or a number or a boolean, not an array")),
                Arguments.of("probe without path", "image: x\nstartup_probe:\n  run: {args: [a]}\n  failure_threshold: 0\n",
                        List.of("$.startup_probe.run (line 3, column 8): missing required field 'path'",
                                "$.startup_probe.failure_threshold (line 4, column 22): must be between 1 and 10000")),
                Arguments.of("negative grace", "image: x\ntermination_grace_seconds: -1\n",
                        List.of("$.termination_grace_seconds (line 2, column 28): must be between 0 and 3600")),
                Arguments.of("bad port name", "image: x\nports: [{name: 'my port', number: 1}]\n",
                        List.of("$.ports[0].name (line 2, column 16): does not match the regex pattern ^[A-Za-z0-9][A-Za-z0-9_-]*$")),
                Arguments.of("memory without a unit it knows", "image: x\nresources: {memory: 1.5g, cpus: 0}\n",
                        List.of("$.resources.memory (line 2, column 21): does not match the regex pattern ^[1-9][0-9]*[kKmMgG]?$",
                                "$.resources.cpus (line 2, column 33): must be greater than 0 and at most 1024")),
                Arguments.of("loader variables in a service's environment",
                        "run: {path: redis-server}\nparams:\n  LD_PRELOAD: /dev/shm/x.so\n  GCONV_PATH: /tmp\n  MALLOC_ARENA_MAX: 2\n",
                        List.of("$.params.LD_PRELOAD (line 3, column 15): 'LD_PRELOAD' steers the dynamic loader or the C library and is not allowed in a service's environment",
                                "$.params.GCONV_PATH (line 4, column 15): 'GCONV_PATH' steers the dynamic loader or the C library and is not allowed in a service's environment",
                                "$.params.MALLOC_ARENA_MAX (line 5, column 21): 'MALLOC_ARENA_MAX' steers the dynamic loader or the C library and is not allowed in a service's environment")),
                Arguments.of("a pids limit below one", "run: {path: redis-server}\nresources: {pids: 0}\n",
                        List.of("$.resources.pids (line 2, column 19): must be between 1 and 4194304")),
                Arguments.of("not a map", "- image: x\n",
                        List.of("$ (line 1, column 1): must be an object, not an array")),
                Arguments.of("empty document", "",
                        List.of("$: must be an object, not null")),
                Arguments.of("YAML syntax error", "image: postgres\nports:\n  - number: 5432\n   bad\n",
                        List.of("$ (line 4, column 4): invalid YAML: expected <block end>, but found '<scalar>' (while parsing a block collection)")),
                Arguments.of("duplicate key", "image: a\nimage: b\n",
                        List.of("$.image (line 2, column 1): duplicate key 'image'")),
                Arguments.of("file reference without base directory", "name: pg\nfile: pg.yml\n",
                        List.of("$.file (line 2, column 7): refers to another file; resolve the service entry against its base directory")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidConfigs")
    void invalidConfig_reportsPathAndPosition(String why, String yaml, List<String> expected) {
        var e = assertThrows(InvalidConfigException.class, () -> ServiceConfigs.parseYaml(yaml, SOURCE));

        assertEquals(expected, e.errors().stream().map(ValidationError::toString).toList());
        assertEquals(SOURCE, e.sourceName());
        assertEquals(String.join("\n", expected.stream().map(m -> SOURCE + ": " + m).toList()), e.getMessage());
    }

    @Test
    void prototypeParams_mayBeAnyJson() {
        ServiceConfig config = ServiceConfigs.parseYaml("type: k8s\nparams: {replicas: 2, labels: {a: b}}\n", SOURCE);

        assertEquals(Map.of("replicas", 2, "labels", Map.of("a", "b")), config.params());
    }

    @Test
    void yamlScalars_keepTheirTypes() {
        ServiceConfig config = ServiceConfigs.parseYaml(
                "image: x\nparams: {A: 010, B: 0x1F, C: yes, D: '5432', E: 1.5, F: 1_000}\nrun: {args: [-p, 5432]}\n", SOURCE);

        assertEquals(Map.of("A", 8, "B", 31, "C", true, "D", "5432", "E", 1.5, "F", 1000), config.params());
        assertEquals(List.of("-p", "5432"), config.run().args());
    }

    @Test
    void resolve_readsTheFileAndAppliesOverrides(@TempDir Path base) throws IOException {
        Files.createDirectories(base.resolve("ci/services"));
        Files.writeString(base.resolve("ci/services/postgres.yml"), Resources.text("proposal/design-service-config.yml"));
        ServiceRequest request = new ServiceRequest("postgres", "ci/services/postgres.yml", null, "postgres:16",
                Map.of("POSTGRES_PASSWORD", "secret", "PGDATA", "/override"));

        ServiceConfig config = ServiceConfigs.resolve(request, base);

        assertEquals("postgres:16", config.image());
        assertNull(config.imageResource());
        assertEquals(Map.of("PGDATA", "/override", "POSTGRES_PASSWORD", "secret"), config.params());
        assertEquals(List.of(new PortSpec("default", 5432)), config.ports());
    }

    @Test
    void resolve_acceptsAbsolutePathsAndInlineConfigs(@TempDir Path base) throws IOException {
        Path file = Files.writeString(base.resolve("redis.yml"), "image: redis\nports: [{number: 6379}]\n");

        assertEquals("redis", ServiceConfigs.resolve(
                new ServiceRequest("redis", file.toString(), null, null, null), Path.of("/nonexistent")).image());
        ServiceConfig inline = ServiceConfigs.parseYaml("image: redis\n", "inline");
        assertEquals(inline, ServiceConfigs.resolve(new ServiceRequest("redis", null, inline, null, null), base));
    }

    @Test
    void resolve_rejectsRelativePathsLeavingTheBaseDirectory(@TempDir Path base) throws IOException {
        Files.createDirectories(base.resolve("repo"));
        Files.writeString(base.resolve("secret.yml"), "image: x\n");
        ServiceRequest request = new ServiceRequest("x", "ci/../../secret.yml", null, null, null);

        var e = assertThrows(InvalidConfigException.class, () -> ServiceConfigs.resolve(request, base.resolve("repo")));

        assertTrue(e.getMessage().startsWith("service 'x': $.file: 'ci/../../secret.yml' leaves the base directory"),
                e.getMessage());
    }

    @Test
    void resolve_reportsMissingFilesAndErrorsInsideTheFile(@TempDir Path base) throws IOException {
        var missing = assertThrows(InvalidConfigException.class, () -> ServiceConfigs.resolve(
                new ServiceRequest("x", "nope.yml", null, null, null), base));
        assertTrue(missing.getMessage().startsWith("nope.yml: $: no such file"), missing.getMessage());

        Files.writeString(base.resolve("bad.yml"), "image: x\nports: [{number: 0}]\n");
        var bad = assertThrows(InvalidConfigException.class, () -> ServiceConfigs.resolve(
                new ServiceRequest("x", "bad.yml", null, null, null), base));
        assertEquals("bad.yml: $.ports[0].number (line 2, column 18): must be between 1 and 65535", bad.getMessage());
    }
}
