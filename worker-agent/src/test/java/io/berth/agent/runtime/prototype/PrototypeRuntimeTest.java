package io.berth.agent.runtime.prototype;

import io.berth.agent.AgentSettings;
import io.berth.agent.StateLayout;
import io.berth.agent.os.Exec;
import io.berth.agent.os.Tools;
import io.berth.agent.os.Users;
import io.berth.agent.runtime.ServiceLaunch;
import io.berth.agent.runtime.ServiceProcess;
import io.berth.agent.runtime.ServiceStartException;
import io.berth.agent.runtime.ServiceWorkspace;
import io.berth.agent.testing.Cleanup;
import io.berth.agent.testing.TestPrototypes;
import io.berth.events.config.InputSpec;
import io.berth.events.config.RunSpec;
import io.berth.events.config.ServiceConfig;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.berth.agent.testing.Await.failure;
import static io.berth.agent.testing.Await.result;
import static io.berth.agent.testing.TestPrototypes.answer;
import static io.berth.agent.testing.TestPrototypes.info;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The prototype protocol with real prototypes (scripts), real processes, a real namespace and real users. */
@ExtendWith(VertxExtension.class)
class PrototypeRuntimeTest {
    static final String TASK = "task-proto";
    final Cleanup cleanup = new Cleanup();
    AgentSettings settings;
    TestPrototypes prototypes;
    PrototypeRuntime runtime;
    String netns;

    @BeforeAll
    static void root() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Users.agentIsRoot(), "needs root");
    }

    @BeforeEach
    void setUp(Vertx vertx) throws Exception {
        prototypes = new TestPrototypes(cleanup.stateDir().resolve("prototypes"));
        settings = AgentSettings.defaults("w").withStateDir(cleanup.stateDir())
                .withPrototypeDirs(List.of(cleanup.stateDir().resolve("elsewhere"), prototypes.dir()));
        runtime = new PrototypeRuntime(vertx, settings, new io.berth.agent.runtime.ServiceSetup(settings));
        String name = "berth-test-proto-" + ProcessHandle.current().pid();
        cleanup.namespace(name);
        assertTrue(Exec.run(List.of(Tools.IP, "netns", "add", name), Duration.ofSeconds(5)).ok());
        netns = "/run/netns/" + name;
    }

    @AfterEach
    void tearDown() throws Exception {
        cleanup.run();
    }

    static ServiceConfig config(String type, String message, Map<String, Object> params, List<InputSpec> inputs) {
        return new ServiceConfig(type, null, null, message == null ? null : RunSpec.ofMessage(message), inputs,
                params, List.of(), null, 1);
    }

    ServiceLaunch launch(String service, ServiceConfig config, Map<String, String> inputs) {
        return new ServiceLaunch(TASK, 1, service, config, inputs, netns);
    }

    List<String> log(String service) {
        return new io.berth.agent.logs.ServiceLog(StateLayout.of(settings.stateDir()).log(TASK, 1, service))
                .tail(50);
    }

    @Test
    void infoIsAskedFirst_withTheParams_andAPrototypeWithoutUpIsRefused() throws Exception {
        prototypes.write("checker", Map.of("info", info("check", "get"), "up", "echo up must not run"));
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("greeting", "hi");
        params.put("files", List.of("a.yml", "b.yml"));

        Throwable e = failure(runtime.start(launch("svc", config("checker", null, params, List.of()), Map.of())));

        assertInstanceOf(ServiceStartException.class, e);
        assertEquals("service 'svc': prototype 'checker' (" + prototypes.dir().resolve("checker")
                + ") does not support the message 'up': its info lists [check, get]", e.getMessage());
        String log = String.join("\n", log("svc"));
        String request = log.lines().filter(l -> l.startsWith("info request: ")).findFirst().orElseThrow();
        assertTrue(request.matches("info request: \\{\"object\":\\{.*},\"response_path\":\"/.*/svc\\.prototype/"
                + "info\\.response\\.json\"}"), request);
        assertTrue(request.contains("\"greeting\":\"hi\"") && request.contains("\"files\":[\"a.yml\",\"b.yml\"]"),
                request);
        assertFalse(log.contains("up must not run"), log);
        assertFalse(Files.exists(ServiceWorkspace.location(settings.stateDir(), TASK, "svc")), "workspace removed");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            no info            |                                                             | has no executable 'info': every prototype needs one
            info fails         | echo 'bad params: port' >&2; exit 3                         | info failed with exit code 3; its output ends with: bad params: port
            no answer          | cat >/dev/null                                              | info wrote nothing to its response_path
            not JSON           | ANSWER:up and down                                          | info's response is not JSON
            wrong version      | ANSWER:{"interface_version":"2.0","messages":["up"]}        | interface_version "2.0" is not supported (this worker speaks 1.x)
            no version         | ANSWER:{"messages":["up"]}                                  | info's response has no "interface_version" string
            up listed, missing | ANSWER:{"interface_version":"1.0","messages":["up"]}        | lists 'up' in its info but has no executable
            """)
    void brokenPrototype_failsTheServiceSayingWhy(String label, String info, String expected) throws Exception {
        Map<String, String> messages = new LinkedHashMap<>();
        if (info != null) {
            messages.put("info", info.startsWith("ANSWER:") ? answer(info.substring(7)) : info);
        }
        if (!label.equals("up listed, missing")) {
            messages.put("up", "exec sleep 30");
        }
        messages.put("keep", "true"); // the directory exists even without info
        prototypes.write("broken", messages);

        Throwable e = failure(runtime.start(launch("svc", config("broken", "up", Map.of(), List.of()), Map.of())));

        assertInstanceOf(ServiceStartException.class, e);
        assertTrue(e.getMessage().startsWith("service 'svc': prototype 'broken' ("), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void unknownType_failsNamingEveryPlaceItLookedIn() throws Exception {
        Throwable e = failure(runtime.start(launch("svc", config("docker-compose", null, Map.of(), List.of()),
                Map.of())));

        assertEquals("service 'svc': unknown prototype 'docker-compose': looked for "
                + settings.stateDir().resolve("elsewhere/docker-compose") + ", "
                + prototypes.dir().resolve("docker-compose")
                + " (this worker's prototype directories; add more with BERTH_PROTOTYPE_PATH)", e.getMessage());
    }

    @Test
    void messageAndTypeNames_cannotPointOutsideThePrototypeDirectories() throws Exception {
        prototypes.write("p", Map.of("info", info("up"), "up", "exec sleep 30"));

        Throwable message = failure(runtime.start(launch("svc", config("p", "../../../bin/true", Map.of(), List.of()),
                Map.of())));
        Throwable type = failure(runtime.start(launch("svc", config("../prototypes/p", null, Map.of(), List.of()),
                Map.of())));

        assertTrue(message.getMessage().contains("invalid message name '../../../bin/true'"), message.getMessage());
        assertTrue(type.getMessage().contains("invalid prototype name '../prototypes/p'"), type.getMessage());
    }

    @Test
    void up_getsTheRequestOnStdin_andRunsInTheTaskNamespace_asTheServiceUser_withTheInputsInItsDirectory()
            throws Exception {
        Path input = Files.createDirectories(cleanup.stateDir().resolve("artifacts/seed"));
        Files.setPosixFilePermissions(input.getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(input, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(input.resolve("seed.sql"), "create table seeded ();\n");
        prototypes.write("echo", Map.of("info", info("up"), "up", """
                echo "stdin: $(cat)"
                echo "user: $(id -un)"
                echo "pwd: $(pwd)"
                echo "input: $(cat seed/seed.sql)"
                echo "netns: $(readlink /proc/self/ns/net)"
                echo "prototype: $BERTH_PROTOTYPE $BERTH_PROTOTYPE_DIR"
                echo "params as env: ${database:-none}"
                exec sleep 30"""));

        ServiceProcess p = result(runtime.start(launch("db", config("echo", "up",
                Map.of("database", "app"), List.of(new InputSpec("seed", null))), Map.of("seed", input.toString()))));
        cleanup.processGroup(p.launched().pid());
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> log("db").stream()
                .anyMatch(l -> l.startsWith("params as env:")));

        Path workDir = ServiceWorkspace.location(settings.stateDir(), TASK, "db");
        List<String> log = log("db");
        String taskNet = "net:[" + Files.getAttribute(Path.of(netns), "unix:ino") + "]";
        assertTrue(log.stream().anyMatch(l -> l.matches("stdin: \\{\"object\":\\{\"database\":\"app\"},"
                + "\"response_path\":\"/.*/db\\.prototype/up\\.response\\.json\"}")), String.join("\n", log));
        assertTrue(log.stream().anyMatch(l -> l.matches("user: berth-\\d+")), "the task's own user: " + log);
        assertTrue(log.contains("pwd: " + workDir), String.join("\n", log));
        assertTrue(log.contains("input: create table seeded ();"), String.join("\n", log));
        assertTrue(log.contains("netns: " + taskNet), taskNet + " in\n" + String.join("\n", log));
        assertTrue(log.contains("prototype: echo " + prototypes.dir().resolve("echo")), String.join("\n", log));
        assertTrue(log.contains("params as env: none"), "params are the request, not the environment");
        assertEquals(workDir, p.launched().execContext().workDir());
        assertEquals(netns, p.launched().execContext().netns());

        result(p.signalGroup(io.berth.agent.os.Signal.SIGKILL));
        result(p.exit());
        result(p.cleanup());
        assertFalse(Files.exists(workDir));
        assertFalse(Files.exists(workDir.resolveSibling("db.prototype")));
    }
}
