package io.berth.agent.runtime.container;

import io.berth.agent.runtime.ServiceLaunch;
import io.berth.events.config.ImageResource;
import io.berth.events.config.InputSpec;
import io.berth.events.config.ProbeSpec;
import io.berth.events.config.ResourceLimits;
import io.berth.events.config.RunSpec;
import io.berth.events.config.ServiceConfig;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the engine is asked for, without an engine: create requests, image references, stream frames, limits. */
class ContainerSpecTest {
    static final JsonArray ULIMITS = new JsonArray().add(new JsonObject().put("Name", "nofile").put("Soft", 1).put("Hard", 2));

    static ServiceConfig config(String image, RunSpec run, List<InputSpec> inputs, Map<String, Object> params,
                                ResourceLimits limits) {
        return new ServiceConfig(null, image, null, run, inputs, params, List.of(), ProbeSpec.ports(), 10, limits);
    }

    static JsonObject create(ServiceConfig config, Map<String, String> inputs, String netns, String imageWorkDir) {
        return create(config, inputs, netns, imageWorkDir, ContainerUsers.hostRootAllowed());
    }

    static JsonObject create(ServiceConfig config, Map<String, String> inputs, String netns, String imageWorkDir,
                             ContainerUsers users) {
        return ContainerSpec.create(new ServiceLaunch("task-1", 3, "db", config, inputs, netns), "postgres:15",
                imageWorkDir, "worker-a", Path.of("/var/lib/berth/agents/worker-a"), ULIMITS, users);
    }

    @Test
    void runOverridesEntrypointAndCommand_paramsBecomeEnv_andTheTaskNamespaceIsTheNetwork() {
        ServiceConfig config = config("postgres:15", new RunSpec("postgres", List.of("-c", "fsync=off"), null, "postgres", null),
                List.of(), Map.of("POSTGRES_PASSWORD", "secret", "PORT", 5432), new ResourceLimits("1g", 1.5));

        JsonObject spec = create(config, Map.of(), "/run/netns/berth-abc", "/");

        assertEquals("postgres:15", spec.getString("Image"));
        assertEquals(new JsonArray().add("postgres"), spec.getJsonArray("Entrypoint"));
        assertEquals(new JsonArray().add("-c").add("fsync=off"), spec.getJsonArray("Cmd"));
        assertEquals("postgres", spec.getString("User"));
        List<Object> env = spec.getJsonArray("Env").getList();
        assertTrue(env.contains("POSTGRES_PASSWORD=secret") && env.contains("PORT=5432"), env.toString());
        assertTrue(env.contains("BERTH_TASK_ID=task-1") && env.contains("BERTH_SERVICE_NAME=db"), env.toString());
        assertFalse(env.stream().anyMatch(e -> e.toString().startsWith("PATH=")), "the image's PATH stays");
        JsonObject host = spec.getJsonObject("HostConfig");
        assertEquals("ns:/run/netns/berth-abc", host.getString("NetworkMode"));
        assertEquals(ULIMITS, host.getJsonArray("Ulimits"));
        assertEquals(1L << 30, host.getLong("Memory"));
        assertEquals(1_500_000_000L, host.getLong("NanoCpus"));
        assertEquals(new JsonObject().put("io.berth.agent", "worker-a").put("io.berth.state-dir", "/var/lib/berth/agents/worker-a")
                .put("io.berth.task-id", "task-1").put("io.berth.service", "db").put("io.berth.generation", "3"),
                spec.getJsonObject("Labels"));
        assertTrue(ContainerSpec.name(new ServiceLaunch("task-1", 3, "db", config, Map.of(), null))
                .matches("berth-[0-9a-f]{12}-db-g3"));
    }

    @Test
    void withoutRun_theImageDecides_argsAloneReplaceOnlyTheCommand_andHostModeIsTheHostNetwork() {
        JsonObject plain = create(config("redis", null, List.of(), Map.of(), null), Map.of(), null, "/data");
        assertNull(plain.getValue("Entrypoint"));
        assertNull(plain.getValue("Cmd"));
        assertNull(plain.getValue("WorkingDir"));
        assertEquals("host", plain.getJsonObject("HostConfig").getString("NetworkMode"));
        assertNull(plain.getJsonObject("HostConfig").getValue("Memory"));

        JsonObject args = create(config("redis", new RunSpec(null, List.of("--port", "6380"), "conf", null, null),
                List.of(), Map.of(), null), Map.of(), null, "/data");
        assertNull(args.getValue("Entrypoint"));
        assertEquals(new JsonArray().add("--port").add("6380"), args.getJsonArray("Cmd"));
        assertEquals("/data/conf", args.getString("WorkingDir"));
    }

    @Test
    void inputsAreBindMountedReadOnly_atTheirPathOrUnderTheWorkingDirectory() {
        ServiceConfig config = config("postgres", null, List.of(new InputSpec("seed-sql", "/docker-entrypoint-initdb.d"),
                new InputSpec("fixtures", null), new InputSpec("conf", "etc/app")), Map.of(), null);

        JsonArray binds = create(config, Map.of("seed-sql", "/tmp/build/seed", "fixtures", "/tmp/build/fx",
                "conf", "/tmp/build/conf"), null, "/srv").getJsonObject("HostConfig").getJsonArray("Binds");

        assertEquals(new JsonArray().add("/tmp/build/seed:/docker-entrypoint-initdb.d:ro").add("/tmp/build/fx:/srv/fixtures:ro")
                .add("/tmp/build/conf:/srv/etc/app:ro"), binds);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "missing  | missing  |      | input 'missing' was not provided by the task",
            "in       | in       | ../x | input 'in' path '../x' must not contain '..'",
            "in       | in       | /    | input 'in' cannot be mounted over /",
            "in       | in       | a:b  | input 'in' path 'a:b' must not contain ':'",
            "a/b      | a/b      |      | invalid input name 'a/b': it must not contain '/' or '..'"})
    void badInputs_areRefusedWithTheReason(String name, String provided, String path, String message) {
        ServiceConfig config = config("x", null, List.of(new InputSpec(name, path)), Map.of(), null);
        Map<String, String> inputs = provided.equals("missing") ? Map.of() : Map.of(provided, "/tmp/in");

        var e = assertThrows(IllegalArgumentException.class, () -> create(config, inputs, null, "/"));

        assertEquals(message, e.getMessage());
    }

    @Test
    void badParamName_isRefused() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> create(config("x", null, List.of(), Map.of("NOT-OK", "1"), null), Map.of(), null, "/"));
        assertEquals("param 'NOT-OK' is not a valid environment variable name", e.getMessage());
    }

    @Test
    void imageReferences_fromImageOrRegistryImageResource() {
        assertEquals("postgres-13", ImageRef.of(config("postgres-13", null, List.of(), Map.of(), null)));
        assertEquals("postgres:latest", ImageRef.of(resource(Map.of("repository", "postgres"))));
        assertEquals("postgres:15", ImageRef.of(resource(Map.of("repository", "postgres", "tag", 15))));
        assertEquals("postgres@sha256:abc", ImageRef.of(resource(Map.of("repository", "postgres", "digest", "sha256:abc"))));
        assertEquals("image_resource type 'git' is not supported; use registry-image",
                assertThrows(IllegalArgumentException.class, () -> ImageRef.of(new ServiceConfig(null, null,
                        new ImageResource("git", Map.of("uri", "x")), null, List.of(), Map.of(), List.of(), null, 1)))
                        .getMessage());
        assertEquals("image_resource.source.repository is missing",
                assertThrows(IllegalArgumentException.class, () -> ImageRef.of(resource(Map.of("tag", "1")))).getMessage());

        assertEquals(new ImageRef.Parts("postgres", "15"), ImageRef.split("postgres:15"));
        assertEquals(new ImageRef.Parts("localhost:5000/pg", "latest"), ImageRef.split("localhost:5000/pg"));
        assertEquals(new ImageRef.Parts("localhost:5000/pg", "1"), ImageRef.split("localhost:5000/pg:1"));
        assertEquals(new ImageRef.Parts("pg@sha256:abc", null), ImageRef.split("pg@sha256:abc"));
    }

    static ServiceConfig resource(Map<String, Object> source) {
        return new ServiceConfig(null, null, new ImageResource("registry-image", source), null, List.of(), Map.of(),
                List.of(), null, 1);
    }

    @Test
    void selectionRule_anImageWithoutPrototypeRunsAsAContainer() {
        assertTrue(ContainerRuntime.takes(config("redis", null, List.of(), Map.of(), null)));
        assertTrue(ContainerRuntime.takes(resource(Map.of("repository", "redis"))));
        assertTrue(ContainerRuntime.takes(config("redis", RunSpec.ofProcess("redis-server"), List.of(), Map.of(), null)));
        assertFalse(ContainerRuntime.takes(config(null, RunSpec.ofProcess("redis-server"), List.of(), Map.of(), null)));
        assertFalse(ContainerRuntime.takes(new ServiceConfig("docker-compose", "x", null, RunSpec.ofMessage("up"),
                List.of(), Map.of(), List.of(), null, 1)));
    }

    @Test
    void streamFrames_areSplitAcrossChunks_andATtyStreamPassesThrough() {
        StreamFrames frames = new StreamFrames();
        Buffer stream = frame(1, "hello ").appendBuffer(frame(2, "oops\n")).appendBuffer(frame(1, "world\n"));
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < stream.length(); i += 5) {
            out.append(frames.feed(stream.getBuffer(i, Math.min(stream.length(), i + 5))).toString(StandardCharsets.UTF_8));
        }
        assertEquals("hello oops\nworld\n", out.toString());
        assertEquals(0, frames.rest().length());

        StreamFrames tty = new StreamFrames();
        assertEquals("plain output, no frames\n",
                tty.feed(Buffer.buffer("plain output, no frames\n")).toString(StandardCharsets.UTF_8));
    }

    static Buffer frame(int stream, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return Buffer.buffer().appendByte((byte) stream).appendBytes(new byte[3]).appendUnsignedInt(bytes.length)
                .appendBytes(bytes);
    }

    @Test
    void pullErrors_areFoundInTheProgressStream() {
        assertNull(EngineClient.pullError("{\"status\":\"Pulling\"}\n{\"status\":\"Done\"}"));
        assertEquals("no such host", EngineClient.pullError(
                "{\"status\":\"Pulling\"}{\"progressDetail\":{},\"errorDetail\":{\"message\":\"no such host\"},\"error\":\"no such host\"}"));
    }

    @Test
    void ulimits_areTheAgentsOwnCappedByTheKernelsCeilings() {
        List<String> limits = List.of(
                "Limit                     Soft Limit           Hard Limit           Units     ",
                "Max processes             96365                96365                processes ",
                "Max open files            1024                 unlimited            files     ");

        JsonArray ulimits = HostLimits.ulimits(limits, 1048576, 32768);

        assertEquals(new JsonArray()
                .add(new JsonObject().put("Name", "nproc").put("Soft", 32768L).put("Hard", 32768L))
                .add(new JsonObject().put("Name", "nofile").put("Soft", 1024L).put("Hard", 1048576L)), ulimits);
        assertEquals(3, EngineClient.ceilSeconds(java.time.Duration.ofMillis(2001)));
        assertEquals(2, EngineClient.ceilSeconds(java.time.Duration.ofSeconds(2)));
    }

    @Test
    void withoutAUserNamespaceOrPermission_aContainerRunsAsNobody_andRunUserIsRefusedNamingTheSettings() {
        ContainerUsers users = ContainerUsers.fromEnvironment(Map.of());
        JsonObject spec = create(config("postgres:15", sh("id"), List.of(), Map.of(), null), Map.of(), null, "/", users);
        assertEquals(ContainerUsers.NOBODY, spec.getString("User"));
        assertNull(spec.getJsonObject("HostConfig").getString("UsernsMode"));

        ServiceConfig asRoot = config("postgres:15", new RunSpec("/bin/sh", List.of(), null, "root", null), List.of(),
                Map.of(), null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> create(asRoot, Map.of(), null, "/", users));
        assertTrue(e.getMessage().startsWith("run.user 'root': ") && e.getMessage().contains(ContainerUsers.USERNS_ENV)
                && e.getMessage().contains(ContainerUsers.ALLOW_ROOT_ENV + "=true"), e.getMessage());
        // with the operator's permission, as written (the host's root)
        assertEquals("root", create(asRoot, Map.of(), null, "/", ContainerUsers.fromEnvironment(
                Map.of(ContainerUsers.ALLOW_ROOT_ENV, "true"))).getString("User"));
    }

    @Test
    void inAUserNamespace_theImagesUsersAreHonoured_andMapOntoTheOperatorsRange() {
        ContainerUsers users = ContainerUsers.fromEnvironment(Map.of(ContainerUsers.USERNS_ENV, "2000000000-2000065535"));
        ServiceConfig asRoot = config("postgres:15", new RunSpec("/bin/sh", List.of(), null, "root", null), List.of(),
                Map.of(), null);

        JsonObject spec = create(asRoot, Map.of(), "/run/netns/berth-abc", "/", users);

        assertEquals("root", spec.getString("User"));
        assertEquals("auto:uidmapping=0:2000000000:65536,gidmapping=0:2000000000:65536",
                spec.getJsonObject("HostConfig").getString("UsernsMode"));
        assertEquals("auto", ContainerUsers.fromEnvironment(Map.of(ContainerUsers.USERNS_ENV, "auto")).userns());
        assertThrows(IllegalArgumentException.class, () -> users.checkApart(
                io.berth.agent.sandbox.SandboxSettings.defaults().withUidRange(2000060000, 10)));
        users.checkApart(io.berth.agent.sandbox.SandboxSettings.defaults());
        for (String bad : List.of("0-65535", "2000000000", "x-y", "5-3")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ContainerUsers.fromEnvironment(Map.of(ContainerUsers.USERNS_ENV, bad)));
            assertTrue(e.getMessage().contains(ContainerUsers.USERNS_ENV), e.getMessage());
        }
    }

    private static RunSpec sh(String script) {
        return new RunSpec("/bin/sh", List.of("-c", script), null, null, null);
    }
}
