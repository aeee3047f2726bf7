package io.berth.agent.runtime.container;

import io.berth.agent.AgentSettings;
import io.berth.agent.supervisor.Supervisor;
import io.berth.agent.supervisor.TaskLaunch;
import io.berth.agent.testing.Cleanup;
import io.berth.agent.testing.RecordingEvents;
import io.berth.agent.testing.RecordingEvents.Event;
import io.berth.events.config.InputSpec;
import io.berth.events.config.RunSpec;
import io.berth.events.config.ServiceConfig;
import io.berth.events.payload.NetworkSpec;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.berth.agent.testing.Await.result;
import static io.berth.agent.testing.Configs.port;
import static io.berth.agent.testing.Configs.ports;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A container service tries to act as the host's root: it reads a root-only file of its bind-mounted input and
 * asks for {@code run.user: root}. Without a user namespace or the operator's permission it runs as nobody and is
 * refused; in a user namespace it is root inside and an unprivileged uid outside; only the operator's permission
 * ({@code BERTH_CONTAINER_ALLOW_ROOT}, what every container got before) lets it read the file.
 */
@ExtendWith(VertxExtension.class)
class ContainerRootTest {
    private static final String SCRIPT = "echo uid=$(id -u); cat /in/public; cat /in/secret || echo secret-refused;"
            + " echo checks-done; httpd -f -p 8080 -h /in & wait";
    private static final Duration READY = Duration.ofSeconds(30);

    static Vertx engineVertx;
    static PodmanEngine podman;
    static EngineClient engine;

    final Cleanup cleanup = new Cleanup();
    final RecordingEvents events = new RecordingEvents();
    AgentSettings settings;
    Supervisor supervisor;
    Path input;
    String secret;

    @BeforeAll
    static void startEngine() throws Exception {
        String missing = PodmanEngine.unavailable();
        Assumptions.assumeTrue(missing == null, missing);
        engineVertx = Vertx.vertx();
        podman = PodmanEngine.start(engineVertx);
        engine = new EngineClient(engineVertx, podman.socket);
        podman.ensureBusybox(engine);
    }

    @AfterAll
    static void stopEngine() throws Exception {
        if (podman != null) {
            podman.stop();
        }
        if (engineVertx != null) {
            result(engineVertx.close());
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        settings = AgentSettings.defaults("container-root-test").withStateDir(cleanup.stateDir())
                .withDefaultNetworkMode(NetworkSpec.NAMESPACE);
        // the task's input, readable to all, holding one file only the host's root may read
        input = Files.createDirectory(cleanup.stateDir().resolve("input"));
        Files.setPosixFilePermissions(cleanup.stateDir(), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(input, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(input.resolve("public"), "public-part\n");
        Files.setPosixFilePermissions(input.resolve("public"), PosixFilePermissions.fromString("rw-r--r--"));
        secret = "root-only-" + UUID.randomUUID();
        Files.writeString(input.resolve("secret"), secret + "\n");
        Files.setPosixFilePermissions(input.resolve("secret"), PosixFilePermissions.fromString("rw-------"));
    }

    @AfterEach
    @Timeout(200) // stopAll's 60 s, then tidying (an engine started again, see PodmanEngine.answer)
    void tearDown() throws Exception {
        try {
            if (supervisor != null) {
                result(supervisor.stopAll(), Duration.ofSeconds(60));
            }
        } finally {
            try {
                podman.tidy(engine, settings.stateDir());
            } finally {
                cleanup.run();
            }
        }
    }

    private void agent(Vertx vertx, ContainerUsers users) throws Exception {
        supervisor = new Supervisor(vertx, settings, ContainerRuntime.forSocket(vertx, settings, podman.socket, users));
        result(supervisor.reapOrphans());
    }

    private ServiceConfig service(String user) {
        return new ServiceConfig(null, PodmanEngine.BUSYBOX, null,
                new RunSpec("/bin/sh", List.of("-c", SCRIPT), null, user, null),
                List.of(new InputSpec("in", "/in")), Map.of(), List.of(port(8080)), ports(100, 0.2), 5, null);
    }

    /** Starts the attacker; returns its log once its checks ran, and its host uid. */
    private Attempt attack(String user) throws Exception {
        String task = cleanup.taskId("ctr-root");
        result(supervisor.start(new TaskLaunch(task, 1, null, Map.of("attacker", service(user)),
                Map.of("in", input.toString())), events));
        events.await("ready", "attacker", READY);
        long pid = (long) events.first("starting", "attacker").orElseThrow().get("pid");
        int hostUid = ((Number) Files.getAttribute(Path.of("/proc", Long.toString(pid)), "unix:uid")).intValue();
        List<String> log = Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> result(supervisor.logTail(task, 1, "attacker", 20)), l -> l.contains("checks-done"));
        return new Attempt(log, hostUid);
    }

    private record Attempt(List<String> log, int hostUid) {}

    @Test
    void byDefault_aContainerRunsAsNobody_readsItsInput_butNotARootOnlyFileInIt(Vertx vertx) throws Exception {
        agent(vertx, ContainerUsers.fromEnvironment(Map.of()));

        Attempt attempt = attack(null);

        assertEquals(65534, attempt.hostUid(), "the container's init on the host");
        assertTrue(attempt.log().contains("uid=65534"), attempt.log().toString());
        assertTrue(attempt.log().contains("public-part"), "the input stays readable: " + attempt.log());
        assertTrue(attempt.log().contains("secret-refused"), attempt.log().toString());
        assertFalse(attempt.log().toString().contains(secret), attempt.log().toString());
    }

    @Test
    void byDefault_runUserRoot_isRefused_namingTheFieldAndTheSettings(Vertx vertx) throws Exception {
        agent(vertx, ContainerUsers.fromEnvironment(Map.of()));
        String task = cleanup.taskId("ctr-root-user");

        result(supervisor.start(new TaskLaunch(task, 1, null, Map.of("attacker", service("root")),
                Map.of("in", input.toString())), events));

        Event failed = events.await("failed", "attacker", READY);
        String reason = (String) failed.get("reason");
        assertTrue(reason.contains("run.user 'root'") && reason.contains(ContainerUsers.USERNS_ENV)
                && reason.contains(ContainerUsers.ALLOW_ROOT_ENV), reason);
        assertTrue(events.first("starting", "attacker").isEmpty(), "nothing was started");
        assertEquals(List.of(), podman.containersOf(engine, settings.stateDir()));
    }

    @Test
    void inAUserNamespace_rootInsideIsAnUnprivilegedHostUid_thatCannotReadTheRootOnlyFile(Vertx vertx)
            throws Exception {
        agent(vertx, ContainerUsers.fromEnvironment(Map.of(ContainerUsers.USERNS_ENV, "2000000000-2000065535")));

        Attempt attempt = attack("root");

        assertEquals(2000000000, attempt.hostUid(), "the container's root on the host");
        assertTrue(attempt.log().contains("uid=0"), attempt.log().toString());
        assertTrue(attempt.log().contains("public-part"), "the input stays readable: " + attempt.log());
        assertTrue(attempt.log().contains("secret-refused"), attempt.log().toString());
        assertFalse(attempt.log().toString().contains(secret), attempt.log().toString());
    }

    /** What every container could do before: the attack works once the operator grants root. */
    @Test
    void withTheOperatorsPermission_theContainerIsTheHostsRoot_andReadsTheFile(Vertx vertx) throws Exception {
        agent(vertx, ContainerUsers.fromEnvironment(Map.of(ContainerUsers.ALLOW_ROOT_ENV, "true")));

        Attempt attempt = attack("root");

        assertEquals(0, attempt.hostUid());
        assertTrue(attempt.log().contains(secret), attempt.log().toString());
    }
}
