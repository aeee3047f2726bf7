package io.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.events.Envelope;
import io.berth.events.EventTypes;
import io.berth.events.SvcVars;
import io.berth.events.payload.ServiceExited;
import io.berth.events.payload.ServiceFailed;
import io.berth.events.payload.ServiceStarting;
import io.berth.events.payload.TaskServicesFailed;
import io.berth.events.payload.TaskServicesReady;
import io.berth.events.payload.TaskServicesReleased;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The whole path for real: an embedded Kafka broker, the orchestrator, real gRPC on loopback, a
 * worker agent running real processes in real network namespaces.
 */
class EndToEndTest {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static EmbeddedStack stack;
    private TaskDriver driver;

    @BeforeAll
    static void startStack() {
        stack = EmbeddedStack.start(new EmbeddedStack.Options(0, 0, null, "e2e-worker"), null);
    }

    @AfterAll
    static void stopStack() {
        if (stack != null) {
            TestStacks.close(stack);
        }
    }

    @BeforeEach
    void driver() {
        driver = new TaskDriver(stack.bootstrapServers());
    }

    @AfterEach
    void closeDriver() {
        driver.close();
    }

    @Test
    void postgresExample_becomesReady_answersThroughSvcAddress_andIsReleasedWithoutLeftovers() throws Exception {
        String task = TaskDriver.newTaskId();
        driver.start(task, Map.of("postgres", Files.readString(Path.of("examples/services/postgres.yml"))));

        var ready = driver.await(task, EventTypes.TASK_SERVICES_READY, READY_TIMEOUT).payload(TaskServicesReady.class);
        long pid = event(task, EventTypes.SERVICE_STARTING).payload(ServiceStarting.class).pid();
        List<ProcessHandle> processes = Processes.serviceProcesses(pid);
        assertThat(processes).as("launcher (the sandbox's init), service").hasSizeGreaterThanOrEqualTo(2);
        String netns = ready.network().path();
        assertThat(netns).startsWith("/run/netns/");
        assertThat(ready.services().get("postgres").address()).isEqualTo("127.0.0.1:5432");

        String address = SvcVars.interpolate("((.svc:postgres.address))", ready.services());
        var query = Processes.run("nsenter", "--net=" + netns, "--", "psql",
                "postgresql://postgres@" + address + "/postgres", "-tAc", "select 40 + 2");
        assertThat(query.output().strip()).isEqualTo("42");
        assertThat(query.exitCode()).isZero();

        driver.end(task);
        var released = driver.await(task, EventTypes.TASK_SERVICES_RELEASED, READY_TIMEOUT)
                .payload(TaskServicesReleased.class);
        assertThat(released.services()).singleElement().satisfies(s -> {
            assertThat(s.name()).isEqualTo("postgres");
            assertThat(s.signal()).isEqualTo("SIGTERM");
        });
        assertThat(Processes.alive(processes)).as("processes left of the service").isEmpty();
        assertThat(Path.of(netns)).doesNotExist();
    }

    @Test
    void twoNamedPorts_areExposedAsAddressesAndPorts() throws Exception {
        String task = TaskDriver.newTaskId();
        driver.start(task, Map.of("web", """
                run:
                  path: /bin/sh
                  args:
                  - -c
                  - |
                    %s 8080 & %s 9090 & wait
                ports:
                - {name: http, number: 8080}
                - {name: admin, number: 9090}
                """.formatted(Processes.LISTEN, Processes.LISTEN)));

        var vars = driver.await(task, EventTypes.TASK_SERVICES_READY, READY_TIMEOUT)
                .payload(TaskServicesReady.class).services().get("web");
        assertThat(vars.addresses()).containsEntry("http", "127.0.0.1:8080").containsEntry("admin", "127.0.0.1:9090");
        assertThat(vars.ports()).containsEntry("http", 8080).containsEntry("admin", 9090);
        assertThat(SvcVars.interpolate("((.svc:web.addresses.admin))",
                Map.of("web", vars))).isEqualTo("127.0.0.1:9090");

        driver.end(task);
        driver.await(task, EventTypes.TASK_SERVICES_RELEASED, READY_TIMEOUT);
    }

    @Test
    void probeThatNeverSucceeds_failsAfterExactlyThresholdTimesPeriod_withReasonAndLogTail() throws Exception {
        String task = TaskDriver.newTaskId();
        driver.start(task, Map.of("stubborn", """
                run:
                  path: /bin/sh
                  args: [-c, 'echo booting stubborn; echo still booting; exec sleep 600']
                startup_probe:
                  run: {path: /bin/false}
                  failure_threshold: 3
                  period_seconds: 0.5
                termination_grace_seconds: 1
                """));

        var failedEvent = driver.await(task, EventTypes.TASK_SERVICES_FAILED, READY_TIMEOUT);
        var failed = failedEvent.payload(TaskServicesFailed.class);
        assertThat(failed.service()).isEqualTo("stubborn");
        assertThat(failed.reason()).contains("3");
        assertThat(failed.logTail()).contains("booting stubborn", "still booting");

        Envelope starting = event(task, EventTypes.SERVICE_STARTING);
        Envelope serviceFailed = event(task, EventTypes.SERVICE_FAILED);
        long elapsed = Duration.between(starting.time(), serviceFailed.time()).toMillis();
        assertThat(elapsed).as("failure time after start, ms").isBetween(1_450L, 1_900L);
        assertThat(serviceFailed.payload(ServiceFailed.class).logTail()).contains("still booting");
        assertThat(driver.events(task)).extracting(Envelope::type)
                .doesNotContain(EventTypes.SERVICE_READY, EventTypes.TASK_SERVICES_READY);
        assertThat(driver.events(task).stream().filter(e -> e.type().equals(EventTypes.SERVICE_PROBE)).count())
                .as("counted probe failures").isEqualTo(3);

        driver.end(task);
        driver.await(task, EventTypes.TASK_SERVICES_RELEASED, READY_TIMEOUT);
    }

    @Test
    void serviceIgnoringSigterm_isKilledAfterItsGracePeriod_andReleasedSaysSo() throws Exception {
        String task = TaskDriver.newTaskId();
        driver.start(task, Map.of("deaf", """
                run:
                  path: /bin/sh
                  args:
                  - -c
                  - |
                    trap "" TERM; %s 7000 & while true; do sleep 1; done
                ports: [{number: 7000}]
                termination_grace_seconds: 1
                """.formatted(Processes.LISTEN_IGNORING_TERM)));
        driver.await(task, EventTypes.TASK_SERVICES_READY, READY_TIMEOUT);
        long pid = event(task, EventTypes.SERVICE_STARTING).payload(ServiceStarting.class).pid();
        List<ProcessHandle> processes = Processes.serviceProcesses(pid);
        assertThat(processes).as("launcher (the sandbox's init), service").hasSizeGreaterThanOrEqualTo(2);

        driver.end(task);
        var released = driver.await(task, EventTypes.TASK_SERVICES_RELEASED, READY_TIMEOUT)
                .payload(TaskServicesReleased.class);
        assertThat(released.services()).singleElement().satisfies(s -> {
            assertThat(s.signal()).isEqualTo("SIGKILL");
            assertThat(s.durationMillis()).isBetween(1_000L, 2_500L);
        });
        assertThat(Processes.alive(processes)).isEmpty();
    }

    @Test
    void serviceCrashingWhileTaskRuns_producesServiceExitedWithItsCode() throws Exception {
        String task = TaskDriver.newTaskId();
        driver.start(task, Map.of("fragile", """
                run:
                  path: /bin/sh
                  args:
                  - -c
                  - |
                    %s 7100 & sleep 1; echo going down; exit 7
                ports: [{number: 7100}]
                """.formatted(Processes.LISTEN)));
        driver.await(task, EventTypes.TASK_SERVICES_READY, READY_TIMEOUT);

        var exited = driver.await(task, EventTypes.SERVICE_EXITED, READY_TIMEOUT).payload(ServiceExited.class);
        assertThat(exited.service()).isEqualTo("fragile");
        assertThat(exited.exitCode()).isEqualTo(7);
        assertThat(exited.logTail()).contains("going down");

        driver.end(task);
        driver.await(task, EventTypes.TASK_SERVICES_RELEASED, READY_TIMEOUT);
    }

    @Test
    void twoTasks_bothGetPort5432_eachSeesItsOwn() throws Exception {
        Map<String, String> tasks = new LinkedHashMap<>();
        for (String marker : List.of("alpha", "beta")) {
            String task = TaskDriver.newTaskId();
            tasks.put(marker, task);
            driver.start(task, Map.of("echo", """
                    run:
                      path: %s
                      args: [5432, %s]
                    ports: [{number: 5432}]
                    """.formatted(Processes.ANSWER_SCRIPT, marker)));
        }
        for (var entry : tasks.entrySet()) {
            var ready = driver.await(entry.getValue(), EventTypes.TASK_SERVICES_READY, READY_TIMEOUT)
                    .payload(TaskServicesReady.class);
            var answer = Processes.run("nsenter", "--net=" + ready.network().path(), "--",
                    "perl", "-MIO::Socket::INET", "-e",
                    "print IO::Socket::INET->new(PeerAddr => '127.0.0.1:5432')->getline");
            assertThat(answer.output().strip()).isEqualTo(entry.getKey());
        }
        for (String task : tasks.values()) {
            driver.end(task);
            driver.await(task, EventTypes.TASK_SERVICES_RELEASED, READY_TIMEOUT);
        }
    }

    /**
     * The task's first event of {@code type}, awaited: the services' events and the task's outcome are on two
     * topics, and one poll may hand over the outcome first.
     */
    private Envelope event(String task, String type) {
        return driver.await(task, type, READY_TIMEOUT);
    }
}
