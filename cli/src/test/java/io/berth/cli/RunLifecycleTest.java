package io.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.berth.agent.os.TaskIds;
import io.berth.events.Envelope;
import io.berth.events.EventTypes;
import io.berth.events.payload.TaskServicesFailed;
import io.berth.events.payload.TaskServicesReleased;
import io.berth.events.payload.TaskStarted;
import io.berth.events.config.ServiceRequest;
import io.berth.events.config.ServiceConfigs;
import io.berth.orchestrator.Orchestrator;
import io.berth.orchestrator.view.TaskView;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CI contract of {@code bin/berth run} and {@code bin/berth up}, each a real process in a process group of its
 * own, signalled as a terminal or a CI runner does: whatever ends a run — Ctrl-C, SIGKILL, a variable that cannot
 * resolve, a refused task, a service that dies — its task ends, its services go, and it says so.
 */
class RunLifecycleTest {
    private static final Path AGENTS = Path.of("/var/lib/berth/agents");
    private static final String REDIS = "redis=examples/services/redis.yml";
    private static EmbeddedStack stack;
    private static String classPath;

    @TempDir
    static Path shared;

    @TempDir
    Path dir;

    @BeforeAll
    static void startStack() throws Exception {
        stack = EmbeddedStack.start(new EmbeddedStack.Options(0, 0, null, "lifecycle-worker"), null);
        classPath = ChildJvm.snapshotClassPath(shared.resolve("classpath"));
    }

    @AfterAll
    static void stopStack() {
        if (stack != null) {
            TestStacks.close(stack);
        }
    }

    private BerthProcess berth(String... args) throws Exception {
        return BerthProcess.start(dir.resolve("berth-" + UUID.randomUUID() + ".log"), classPath, List.of(args));
    }

    @Test
    void ctrlC_whileTheCommandRuns_releasesEveryService_thenExits130_andLeavesNoStateBehind() throws Exception {
        // a run SIGKILLed long ago left its state directory: the next run removes it
        Path deadRun = AGENTS.resolve("local-" + deadPid());
        Files.createDirectories(deadRun);
        Files.writeString(deadRun.resolve("agent.lock"), "");
        try (BerthProcess run = berth("run", "--service", REDIS, "--", "sleep", "300")) {
            run.awaitOutput("services ready", Duration.ofSeconds(90));
            String task = run.taskId();
            assertThat(run.liveServicePids()).hasSize(1);
            assertThat(Orphans.namespaces(List.of(task))).hasSize(1);
            await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(deadRun));

            long t0 = System.nanoTime();
            run.signalGroup("INT");
            int exit = run.awaitExit(Duration.ofSeconds(30));
            System.out.printf("Ctrl-C -> exit %d in %d ms%n", exit, (System.nanoTime() - t0) / 1_000_000);

            assertThat(exit).as(run.output()).isEqualTo(130);
            assertThat(run.output()).contains("redis stopped by SIGTERM", "stopped by SIGINT; every service was released");
            assertThat(run.liveServicePids()).isEmpty();
            assertThat(Orphans.namespaces(List.of(task))).isEmpty();
            assertThat(AGENTS.resolve("local-" + run.pid())).doesNotExist();
        }
    }

    @Test
    void twoCtrlCs_whileServicesStart_stillReleaseThem() throws Exception {
        Path slow = slowService(7391);
        try (BerthProcess run = berth("run", "--bootstrap", stack.bootstrapServers(), "--service", "slow=" + slow,
                "--", "true")) {
            run.awaitOutput("slow: starting on", Duration.ofSeconds(60));
            String task = run.taskId();
            run.signalGroup("INT");
            run.signalGroup("INT");

            assertThat(run.awaitExit(Duration.ofSeconds(30))).as(run.output()).isEqualTo(130);
            assertThat(run.output()).contains("slow stopped by SIGTERM");
            assertThat(run.liveServicePids()).isEmpty();
            assertThat(Orphans.namespaces(List.of(task))).isEmpty();
        }
    }

    @Test
    void sigkilledRun_withBootstrap_hasItsServicesReleasedOnceItsLeaseRunsOut() throws Exception {
        try (BerthProcess run = berth("run", "--bootstrap", stack.bootstrapServers(), "--lease", "2", "--service",
                REDIS, "--", "sleep", "300")) {
            run.awaitOutput("services ready", Duration.ofSeconds(60));
            String task = run.taskId();
            Orchestrator orchestrator = stack.orchestrator();
            // the run renews its 2 s lease: the task outlives it while the run lives
            await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6))
                    .until(() -> phase(orchestrator, task).equals("READY"));

            run.signalGroup("KILL");
            long t0 = System.nanoTime();
            await().atMost(Duration.ofSeconds(15)).until(() -> phase(orchestrator, task).equals("RELEASED"));
            System.out.printf("SIGKILL -> released in %d ms (lease 2 s)%n", (System.nanoTime() - t0) / 1_000_000);

            var view = orchestrator.queries().task(task).toCompletionStage().toCompletableFuture().get().orElseThrow();
            assertThat(view.failure()).contains("lease expired");
            assertThat(run.liveServicePids()).isEmpty();
            assertThat(Orphans.namespaces(List.of(task))).isEmpty();
        }
    }

    @Test
    void sigkilledAllInOneRun_takesItsServicesAlong_andLeavesNothingInTmp() throws Exception {
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        // what a run killed together with its watchdog left: the next run removes it
        Path older = Files.createDirectories(tmp.resolve("berth-stack-" + deadPid() + "-1").resolve("kafka"));
        try (BerthProcess run = BerthProcess.start(dir.resolve("killed.log"), classPath, tmp,
                List.of("run", "--service", REDIS, "--", "sleep", "300"))) {
            run.awaitOutput("services ready", Duration.ofSeconds(90));
            String task = run.taskId();
            assertThat(run.liveServicePids()).hasSize(1);

            assertThat(namesIn(tmp)).singleElement().asString().startsWith("berth-stack-" + run.pid() + "-");

            run.signalGroup("KILL");
            long t0 = System.nanoTime();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                    .until(() -> run.liveServicePids().isEmpty() && Orphans.namespaces(List.of(task)).isEmpty());
            System.out.printf("all-in-one run SIGKILLed -> its services gone in %d ms%n",
                    (System.nanoTime() - t0) / 1_000_000);
            Path state = AGENTS.resolve("local-" + run.pid());
            await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(state));
            // nor its cgroup directories (named after that directory), in any hierarchy
            String agentCgroup = "agent-" + TaskIds.shortHash(state.toString());
            try (var found = Files.find(Path.of("/sys/fs/cgroup"), 3,
                    (p, attrs) -> p.getFileName().toString().equals(agentCgroup))) {
                assertThat(found.toList()).as("cgroup directories of the killed run's agent").isEmpty();
            }
            // its stack's private directory (Kafka's data, certificates) went with the watchdog; nothing else is left
            await().atMost(Duration.ofSeconds(10)).until(() -> namesIn(tmp).isEmpty());
            assertThat(older).doesNotExist();
        }
    }

    private static List<String> namesIn(Path dir) throws java.io.IOException {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).toList();
        }
    }

    @Test
    void unresolvableSvcReference_exits1_beforeAnyServiceStarts() throws Exception {
        try (BerthProcess run = berth("run", "--bootstrap", stack.bootstrapServers(), "--service", REDIS,
                "--", "echo", "((.svc:redis.ports.nope))")) {
            assertThat(run.awaitExit(Duration.ofSeconds(30))).as(run.output()).isEqualTo(1);
            assertThat(run.output())
                    .contains("CMD argument 1: ((.svc:redis.ports.nope)): service 'redis' has no port 'nope' (ports: default)")
                    .doesNotContain("starting");
        }
    }

    @Test
    void timeoutWhileServicesStart_stillEndsTheTask() throws Exception {
        Path slow = slowService(7392);
        try (BerthProcess run = berth("run", "--bootstrap", stack.bootstrapServers(), "--timeout", "3",
                "--service", "slow=" + slow, "--", "true")) {
            assertThat(run.awaitExit(Duration.ofSeconds(60))).as(run.output()).isEqualTo(4);
            assertThat(run.output()).contains("no berth.task.services.ready.v1 or berth.task.services.failed.v1",
                    "slow stopped by SIGTERM");
            assertThat(run.liveServicePids()).isEmpty();
            assertThat(Orphans.namespaces(List.of(run.taskId()))).isEmpty();
        }
    }

    @Test
    void refusedStart_isAnsweredAtOnce_namingTheServicesAndTheReason() throws Exception {
        Path other = dir.resolve("other-redis.yml");
        Files.writeString(other, Files.readString(Path.of("examples/services/redis.yml")));
        try (BerthProcess run = berth("run", "--bootstrap", stack.bootstrapServers(), "--service", REDIS,
                "--service", "cache=" + other, "--", "true")) {
            run.awaitOutput("starting [redis, cache]", Duration.ofSeconds(30));
            long t0 = System.nanoTime();
            int exit = run.awaitExit(Duration.ofSeconds(10));
            long millis = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf("refused start -> exit %d %d ms after task.started%n", exit, millis);

            assertThat(exit).as(run.output()).isEqualTo(3);
            assertThat(millis).isLessThan(3_000);
            assertThat(run.output()).contains("services redis, cache failed",
                    "port 6379 is used by both service 'redis' and service 'cache'");
        }
    }

    @Test
    void refusedTaskStartedEvent_isAnsweredWithFailed() throws Exception {
        String task = "refused-" + UUID.randomUUID();
        try (TaskClient client = new TaskClient(stack.bootstrapServers())) {
            byte[] bad = new io.berth.events.EventCodec("ci://test").encode(EventTypes.TASK_STARTED, task,
                    new TaskStarted(task, null, null, List.of(new ServiceRequest("db", null,
                            ServiceConfigs.parseYaml("run: {path: /bin/true}\nports: [{number: 5432}]\n", "db"),
                            null, null)), Map.of()));
            byte[] invalid = new String(bad, java.nio.charset.StandardCharsets.UTF_8)
                    .replace("\"number\":5432", "\"number\":70000").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            client.publishRaw(task, invalid);

            Envelope answer = client.next(task, Duration.ofSeconds(10)).orElseThrow();
            assertThat(answer.type()).isEqualTo(EventTypes.TASK_SERVICES_FAILED);
            assertThat(answer.payload(TaskServicesFailed.class).reason()).contains("ports[0].number");
            assertThat(client.next(task, Duration.ofSeconds(10)).orElseThrow().type())
                    .isEqualTo(EventTypes.TASK_SERVICES_RELEASED);
        }
    }

    @Test
    void serviceThatDiesWhileTheCommandRuns_isReportedWhenItHappens() throws Exception {
        Path crashy = dir.resolve("crashy.yml");
        Files.writeString(crashy, """
                run: {path: /bin/sh, args: [-c, 'echo going down; sleep 1; exit 9']}
                """);
        Path done = dir.resolve("done");
        try (BerthProcess run = berth("run", "--service", "crashy=" + crashy, "--", "sh", "-c",
                "sleep 8; echo command-done; touch " + done)) {
            run.awaitOutput("crashy exited with code 9 while the task ran", Duration.ofSeconds(90));
            assertThat(done).as("said while CMD still ran").doesNotExist();
            assertThat(run.awaitExit(Duration.ofSeconds(60))).as(run.output()).isZero();
            String out = run.output();
            assertThat(out).contains("going down", "crashy had exited on its own at", "(exit 9) while the task ran");
            assertThat(out.indexOf("crashy exited with code 9")).isLessThan(out.indexOf("command-done"));
            assertThat(AGENTS.resolve("local-" + run.pid())).doesNotExist();
        }
    }

    @Test
    void serviceThatDies_failsTheStep_whenTheTaskSaysSo() throws Exception {
        Path taskFile = dir.resolve("task.yml");
        Files.writeString(taskFile, """
                task: fragile
                on_service_exit: fail
                services:
                - name: crashy
                  config:
                    run: {path: /bin/sh, args: [-c, 'sleep 1; exit 9']}
                """);
        try (BerthProcess run = berth("run", "--bootstrap", stack.bootstrapServers(), "--task", taskFile.toString(),
                "--", "sleep", "300")) {
            assertThat(run.awaitExit(Duration.ofSeconds(60))).as(run.output()).isEqualTo(5);
            assertThat(run.output()).contains("crashy exited with code 9 while the task ran",
                    "on_service_exit is fail: stopping CMD", "crashy had exited on its own");
        }
    }

    @Test
    void sigtermOfBerthUp_releasesItsTasks_andSaysSo() throws Exception {
        String worker = "up-" + UUID.randomUUID();
        try (BerthProcess up = berth("up", "--http-port", "0", "--worker", worker)) {
            up.awaitOutput("Ctrl-C to stop.", Duration.ofSeconds(90));
            Matcher bootstrap = Pattern.compile("kafka bootstrap: (\\S+)").matcher(up.output());
            assertThat(bootstrap.find()).isTrue();
            String task = "up-task-" + UUID.randomUUID();
            try (TaskClient client = new TaskClient(bootstrap.group(1))) {
                var redis = ServiceConfigs.resolve(new ServiceRequest("redis", "examples/services/redis.yml", null,
                        null, null), Path.of("").toAbsolutePath());
                client.publish(EventTypes.TASK_STARTED, task, new TaskStarted(task, null, null,
                        List.of(new ServiceRequest("redis", null, redis, null, null)), Map.of()));
                awaitType(client, task, EventTypes.TASK_SERVICES_READY, Duration.ofSeconds(30));

                up.signalGroup("TERM");
                Envelope released = awaitType(client, task, EventTypes.TASK_SERVICES_RELEASED, Duration.ofSeconds(30));
                assertThat(released.payload(TaskServicesReleased.class).services())
                        .extracting(TaskServicesReleased.ServiceRelease::signal).containsExactly("SIGTERM");
            }
            up.awaitExit(Duration.ofSeconds(30));
        } finally {
            // a worker name of its own (runs of this suite may overlap), so its state directory goes with the test
            RunStateDirs.remove(AGENTS.resolve(worker));
        }
    }

    /** A service that starts but is never ready (nothing listens on {@code port}) for a long while. */
    private Path slowService(int port) throws Exception {
        Path slow = dir.resolve("slow.yml");
        Files.writeString(slow, """
                run: {path: /bin/sh, args: [-c, 'exec sleep 300']}
                ports: [{number: %d}]
                startup_probe: {failure_threshold: 100, period_seconds: 1}
                termination_grace_seconds: 2
                """.formatted(port));
        return slow;
    }

    private static Envelope awaitType(TaskClient client, String task, String type, Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<Envelope> next = client.next(task, Duration.ofNanos(deadline - System.nanoTime()));
            if (next.isPresent() && next.get().type().equals(type)) {
                return next.get();
            }
        }
        throw new AssertionError("no " + type + " for " + task + " within " + within);
    }

    private static String phase(Orchestrator orchestrator, String task) throws Exception {
        return orchestrator.queries().task(task).toCompletionStage().toCompletableFuture().get()
                .map(TaskView::phase).orElse("UNKNOWN");
    }

    private static long deadPid() {
        for (long pid = 3_999_999; pid > 3_000_000; pid--) {
            if (ProcessHandle.of(pid).isEmpty()) {
                return pid;
            }
        }
        throw new IllegalStateException("no free pid");
    }
}
