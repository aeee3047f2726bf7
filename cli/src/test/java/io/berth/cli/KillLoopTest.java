package io.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import io.berth.events.Envelope;
import io.berth.events.EventCodec;
import io.berth.events.EventTypes;
import io.berth.events.Topics;
import io.berth.events.config.ServiceConfigs;
import io.berth.events.config.ServiceRequest;
import io.berth.events.payload.TaskEnded;
import io.berth.events.payload.TaskServicesFailed;
import io.berth.events.payload.TaskServicesReleased;
import io.berth.events.payload.TaskStarted;
import io.berth.kafka.embedded.EmbeddedKafka;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.assertj.core.groups.Tuple;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Crashes at any moment: the worker agent and two orchestrator instances run as processes of their own
 * ({@code berth agent}, {@code berth orchestrator}) against an embedded broker, and are SIGKILLed while tasks start
 * and stop. The services are real processes in real network namespaces that write one line per launch, so a service
 * started twice shows however the events look. Afterwards every task must have reached its final state and nothing
 * of any task may be left on the machine ({@link Orphans}).
 *
 * <p>What the agent and orchestrator promise after a SIGKILL (DESIGN.md, reliability rules): an agent restarted with
 * the same worker name and state directory re-attaches the services of live tasks (they keep running, are not started
 * again) and reports them in its Hello; a task that ended meanwhile has its services stopped on the agent's return; an
 * agent that stays away longer than the heartbeat timeout and lost grace has its tasks failed, and on its return their
 * services are stopped and the tasks released. The one relaunch tolerated: a service launched in the instant before
 * the kill, whose StartServices was never acknowledged, may be launched again by the next agent, but never while the
 * first copy lives.
 *
 * <p>Replay a run with {@code -Dberth.killloop.seed=N} (the seed is printed); {@code -Dberth.killloop.iterations=N}
 * changes the loop's length.
 */
class KillLoopTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    /** What {@code berth agent} and {@code berth orchestrator} print once they are up. */
    private static final String AGENT_UP = ": linked to ";
    private static final String ORCHESTRATOR_UP = "berth orchestrator: gRPC";
    /** Two services per task: a kill can land between the launches of one task's services. */
    private static final List<String> SERVICES = List.of("db", "cache");
    /**
     * A service launched twice counts as a tolerated relaunch (not a double start) when its first copy was never
     * reported (no {@code service.starting} with its pid: the agent journals a launch before it reports it, so the
     * next agent did not know of it and killed it with its task's namespace), an agent kill came between the two
     * launches, and the copies never ran at once. A launch records its own time a moment after the agent forked it:
     * it may trail the kill by this much.
     */
    private static final long LAUNCH_RECORD_LAG_MILLIS = 500;

    private Path root;
    private Path stateDir;
    private Path launchesDir;
    private EmbeddedKafka kafka;
    private KafkaProducer<String, byte[]> producer;
    private EventRecorder recorder;
    private final List<ChildJvm> children = new ArrayList<>();
    /** Every task id of the test, for the leftovers check and the cleanup. */
    private final Set<String> tasks = ConcurrentHashMap.newKeySet();
    private final EventCodec codec = new EventCodec("berth://ci/kill-loop-test");
    private String serviceYaml;
    private String classPath;
    private boolean passed;

    @BeforeEach
    void stack() throws Exception {
        // not under /tmp: the agent then gives each task a /tmp of its own, which must survive its crashes as well
        root = Files.createTempDirectory(Processes.outsideTmp(), "berth-killloop");
        // services run as their tasks' own uids: they walk down to their scratch directories and to launchesDir
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        stateDir = Files.createDirectory(root.resolve("agent-state"));
        Files.setPosixFilePermissions(stateDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        launchesDir = Files.createDirectory(root.resolve("launches"));
        assertThat(Processes.run("chmod", "1777", launchesDir.toString()).exitCode()).isZero();
        Path script = launchesDir.resolve("service.sh");
        // One line per real launch. The lock on fd 9 is inherited by sleep, so it is held exactly as long as this copy
        // lives: a second copy of the same service while the first runs cannot take it and says so.
        Files.writeString(script, """
                #!/bin/sh
                umask 0 # each task runs as a uid of its own: a relaunch may be another than the first copy's
                exec 9>>"%1$s/$BERTH_TASK_ID.$BERTH_SERVICE_NAME.lock"
                flock -n 9 || echo "$BERTH_TASK_ID $BERTH_SERVICE_NAME $$ overlap" >> %1$s/launches
                echo "$BERTH_TASK_ID $BERTH_SERVICE_NAME $$ $(date +%%s%%3N)" >> %1$s/launches
                exec sleep 600
                """.formatted(launchesDir));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        serviceYaml = """
                run: {path: /bin/sh, args: ["%s"]}
                startup_probe: {run: {path: /bin/true}, failure_threshold: 3, period_seconds: 1}
                termination_grace_seconds: 2
                """.formatted(script);
        classPath = ChildJvm.snapshotClassPath(root.resolve("classpath"));
        Path kafkaDir = Files.createDirectory(root.resolve("kafka"));
        kafka = EmbeddedKafka.builder().logDir(kafkaDir).port(freePort()).start();
        var p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    @AfterEach
    void tearDown() throws Exception {
        if (!passed) {
            children.forEach(c -> System.out.println(c.tail(60)));
        }
        // the agent first and gracefully (it releases what it still runs), then whatever is left goes by force
        for (ChildJvm c : children) {
            if (c.name().equals("agent")) {
                c.stop(30);
            }
        }
        for (ChildJvm c : children) {
            c.kill();
        }
        if (recorder != null) {
            recorder.close();
        }
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
        List<String> removed = Orphans.remove(tasks);
        if (!removed.isEmpty()) {
            System.out.println("cleanup removed what the agent left: " + removed);
        }
        if (kafka != null) {
            kafka.close();
        }
        if (root != null) {
            // a killed agent leaves its tasks' tmpfs for a successor this test may not have started
            if (stateDir != null) {
                io.berth.agent.sandbox.TaskFilesMount.unmount(io.berth.agent.StateLayout.of(stateDir).tasks());
            }
            try (var paths = Files.walk(root)) {
                paths.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    @Test
    void killLoop_sigkillOfTheAgentOrAnOrchestratorAtRandomPoints_everyTaskEndsRight_nothingOrphanedOrStartedTwice()
            throws Exception {
        long seed = Long.getLong("berth.killloop.seed", new Random().nextLong());
        int iterations = Integer.getInteger("berth.killloop.iterations", 24);
        System.out.printf("kill loop: seed %d (replay: -Dberth.killloop.seed=%d)%n", seed, seed);
        Random rnd = new Random(seed);
        long testStart = System.nanoTime();

        int grpcA = freePort();
        int grpcB;
        do { // a port is free again once its probe socket closes: the next pick may be the same one
            grpcB = freePort();
        } while (grpcB == grpcA);
        // the agent is never away for long here: a task must never fail for it
        Map<String, String> timeouts = Map.of("BERTH_AGENT_HEARTBEAT_TIMEOUT_MS", "10000",
                "BERTH_AGENT_LOST_MS", "30000");
        ChildJvm orchA = orchestrator("orch-a", grpcA, timeouts);
        ChildJvm orchB = orchestrator("orch-b", grpcB, timeouts);
        String worker = "kl-" + ProcessHandle.current().pid();
        ChildJvm agent = agent(worker, grpcA, grpcB);
        recorder = new EventRecorder(kafka.bootstrapServers());

        List<String> all = new ArrayList<>();
        Set<String> ended = new LinkedHashSet<>();
        List<String> servicesLost = new ArrayList<>();
        List<Long> agentKills = new ArrayList<>();
        Map<String, Integer> kills = new TreeMap<>(Map.of("agent", 0, "orch-a", 0, "orch-b", 0));
        List<String> killLog = new ArrayList<>();
        int endsWhileAgentDown = 0;
        long loopStart = System.nanoTime();
        for (int i = 1; i <= iterations; i++) {
            // every random draw happens whatever the run looks like, so a seed always gives the same kills
            int fresh = 1 + rnd.nextInt(3);
            double endShare = rnd.nextDouble() * 0.6;
            long pauseMillis = rnd.nextInt(1_500);
            double pick = rnd.nextDouble();
            boolean endWhileDown = rnd.nextDouble() < 0.5;
            long downMillis = rnd.nextInt(600);

            for (int n = 0; n < fresh; n++) {
                String task = newTask();
                all.add(task);
                publishStarted(task);
            }
            int endedNow = endSome(all, ended, endShare, servicesLost);
            pause(pauseMillis); // the kill lands while those start and stop
            ChildJvm victim = pick < 0.5 ? agent : pick < 0.75 ? orchA : orchB;
            long t0 = System.nanoTime();
            victim.kill();
            kills.merge(victim.name(), 1, Integer::sum);
            killLog.add(victim.name() + " at "
                    + java.time.LocalTime.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
            int endedDown = 0;
            if (victim == agent) {
                agentKills.add(System.currentTimeMillis());
                if (endWhileDown) {
                    endedDown = endSome(all, ended, 0.5, servicesLost);
                    endsWhileAgentDown += endedDown;
                }
            }
            pause(downMillis);
            victim.start();
            String up = victim == agent ? AGENT_UP : ORCHESTRATOR_UP;
            await().atMost(TIMEOUT).failFast(victim.name() + " exited", () -> !victim.alive())
                    .until(() -> victim.started(up));
            System.out.printf("kill loop %d/%d: %d new tasks, %d ended, SIGKILL of %s %d ms later%s, up again "
                            + "after %d ms%n", i, iterations, fresh, endedNow, victim.name(), pauseMillis,
                    victim == agent ? " (" + endedDown + " tasks ended while it was down)" : "",
                    (System.nanoTime() - t0) / 1_000_000);
        }
        long loopMillis = (System.nanoTime() - loopStart) / 1_000_000;

        // the end of the run: every task still open ends, once ready (or once it is clear it never will be)
        awaitQuietly(Duration.ofSeconds(30), () -> all.stream().filter(t -> !ended.contains(t)).allMatch(this::ready));
        endSome(all, ended, 1.0, servicesLost);
        for (String task : all) {
            if (!ended.contains(task)) {
                publishEnded(task);
                ended.add(task);
            }
        }
        awaitQuietly(TIMEOUT, () -> all.stream().allMatch(t -> recorder.count(t,
                EventTypes.TASK_SERVICES_RELEASED) >= 1));
        awaitQuietly(Duration.ofSeconds(20), () -> Orphans.find(stateDir, all, Set.of()).isEmpty());
        List<String> orphans = Orphans.find(stateDir, all, Set.of());

        Launches launches = Launches.read(launchesDir.resolve("launches"), agentKills, reportedLaunches());
        List<String> neverReady = all.stream().filter(t -> !ready(t)).toList();
        List<String> notReleased = all.stream().filter(t -> recorder.count(t,
                EventTypes.TASK_SERVICES_RELEASED) == 0).toList();
        List<String> failed = all.stream().filter(t -> recorder.count(t, EventTypes.TASK_SERVICES_FAILED) > 0)
                .map(t -> t + ": " + recorder.events(t, EventTypes.TASK_SERVICES_FAILED).stream()
                        .map(e -> e.payload(TaskServicesFailed.class).reason()).toList())
                .toList();
        List<String> neverLaunched = new ArrayList<>();
        for (String task : all) {
            for (String service : SERVICES) {
                if (launches.of(task, service).isEmpty()) {
                    neverLaunched.add(task + "/" + service);
                }
            }
        }
        // an output published again (after an orchestrator's SIGKILL: at least once) is a copy of the same event;
        // a second distinct event is a second outcome
        List<String> twice = new ArrayList<>();
        for (String task : all) {
            for (String type : List.of(EventTypes.TASK_SERVICES_READY, EventTypes.TASK_SERVICES_RELEASED)) {
                if (recorder.distinct(task, type) > 1) {
                    twice.add(task + ": " + recorder.distinct(task, type) + " distinct " + type);
                }
            }
        }
        long repeatedReady = all.stream().mapToLong(t -> recorder.count(t, EventTypes.TASK_SERVICES_READY)
                - recorder.distinct(t, EventTypes.TASK_SERVICES_READY)).sum();
        long repeatedReleased = all.stream().mapToLong(t -> recorder.count(t, EventTypes.TASK_SERVICES_RELEASED)
                - recorder.distinct(t, EventTypes.TASK_SERVICES_RELEASED)).sum();
        System.out.printf("kill loop: seed %d; %d iterations in %.1f s (whole test %.1f s); kills: agent %d, orch-a "
                        + "%d, orch-b %d; %d tasks (%d services), %d of them ended while the agent was down; orphans "
                        + "found %d; double starts %d; relaunches %d (a launch no agent ever reported, killed with its "
                        + "agent, launched again; never two copies at once); overlapping copies %d; services gone while their task was ready %d; "
                        + "never ready %d; never launched %d; not released %d; failed %d; ready or released twice "
                        + "%d; repeated outputs (copies of one event) %d (ready %d, released %d)%n", seed, iterations,
                loopMillis / 1000.0,
                (System.nanoTime() - testStart) / 1e9, kills.get("agent"), kills.get("orch-a"), kills.get("orch-b"),
                all.size(), all.size() * SERVICES.size(), endsWhileAgentDown, orphans.size(),
                tasksOf(launches.doubleStarts()), tasksOf(launches.relaunches()),
                launches.overlaps().size(), servicesLost.size(), neverReady.size(), neverLaunched.size(),
                notReleased.size(), failed.size(), twice.size(), repeatedReady + repeatedReleased, repeatedReady,
                repeatedReleased);

        Map<String, List<String>> problems = new LinkedHashMap<>();
        problems.put("orphans", orphans);
        problems.put("double starts", launches.doubleStarts());
        problems.put("two copies at once", launches.overlaps());
        problems.put("services gone while their task was ready (not re-attached)", servicesLost);
        problems.put("never ready", neverReady);
        problems.put("never launched", neverLaunched);
        problems.put("not released", notReleased);
        problems.put("failed", failed);
        problems.put("ready or released twice", twice);
        problems.values().removeIf(List::isEmpty);
        problems.forEach((what, list) -> System.out.printf("kill loop, %s (%d): %s%n", what, list.size(),
                list.stream().limit(10).collect(Collectors.joining("; "))));
        // what happened to the first few tasks named in a problem, for the diagnosis
        problems.values().stream().flatMap(List::stream).map(KillLoopTest::taskIn).filter(all::contains).distinct()
                .limit(4).forEach(task -> System.out.printf("kill loop, timeline of %s:%n  %s%n  launches: %s%n  %s%n",
                        task, String.join("\n  ", recorder.timeline(task)), launches.describe(task),
                        String.join("\n  ", logLines(task))));
        System.out.printf("kill loop, kills: %s%n", killLog);
        assertThat(problems).as("seed %d", seed).isEmpty();
        passed = true;
    }

    @Test
    void lostAgent_awayLongerThanHeartbeatTimeoutAndGrace_itsTasksFail_andOnItsReturnTheirServicesStopAndRelease()
            throws Exception {
        long heartbeatTimeout = 3_000;
        long lostGrace = 2_000;
        int grpc = freePort();
        orchestrator("orch-lost", grpc, Map.of("BERTH_AGENT_HEARTBEAT_TIMEOUT_MS", String.valueOf(heartbeatTimeout),
                "BERTH_AGENT_LOST_MS", String.valueOf(lostGrace)));
        ChildJvm agent = agent("lost-" + ProcessHandle.current().pid(), grpc);
        recorder = new EventRecorder(kafka.bootstrapServers());
        List<String> mine = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            mine.add(newTask());
            publishStarted(mine.get(i));
        }
        await().atMost(TIMEOUT).until(() -> mine.stream().allMatch(this::ready));
        assertThat(liveServices(mine)).hasSize(mine.size() * SERVICES.size());

        long killedAt = System.currentTimeMillis();
        agent.kill();
        await().atMost(TIMEOUT).until(() -> mine.stream().allMatch(t -> recorder.count(t,
                EventTypes.TASK_SERVICES_FAILED) >= 1));
        long detectedMillis = mine.stream().mapToLong(t -> recorder.firstAt(t, EventTypes.TASK_SERVICES_FAILED)
                .orElseThrow()).max().orElseThrow() - killedAt;
        int runningWhileAway = liveServices(mine).size();

        long restartedAt = System.currentTimeMillis();
        agent.start();
        boolean up = awaitQuietly(TIMEOUT, () -> agent.started(AGENT_UP) || !agent.alive()) && agent.alive();
        long upMillis = System.currentTimeMillis() - restartedAt;
        boolean gone = awaitQuietly(Duration.ofSeconds(40), () -> liveServices(mine).isEmpty());
        long goneMillis = System.currentTimeMillis() - restartedAt;
        boolean released = awaitQuietly(Duration.ofSeconds(40), () -> mine.stream().allMatch(t -> recorder.count(t,
                EventTypes.TASK_SERVICES_RELEASED) >= 1));
        long releasedMillis = System.currentTimeMillis() - restartedAt;
        awaitQuietly(Duration.ofSeconds(10), () -> Orphans.find(stateDir, mine, Set.of()).isEmpty());
        List<String> orphans = Orphans.find(stateDir, mine, Set.of());
        long cleanMillis = System.currentTimeMillis() - restartedAt;
        Launches launches = Launches.read(launchesDir.resolve("launches"), List.of(killedAt), reportedLaunches());
        System.out.printf("lost agent: %d tasks (%d services); agent SIGKILLed and away: task.services.failed %d ms "
                        + "after the kill (heartbeat timeout %d ms + lost grace %d ms; %d services still running "
                        + "meanwhile); agent restarted: up after %d ms, every service gone %d ms after the "
                        + "restart%s, every task released %d ms after it%s, orphans found %d (%d ms); launches %d, "
                        + "double starts %d%n", mine.size(), mine.size() * SERVICES.size(), detectedMillis,
                heartbeatTimeout, lostGrace, runningWhileAway, upMillis, goneMillis, gone ? "" : " (NOT: timed out)",
                releasedMillis, released ? "" : " (NOT: timed out)", orphans.size(), cleanMillis,
                launches.count(), launches.doubleStarts().size() + launches.relaunches().size());

        assertThat(up).as("agent up again").isTrue();
        for (String task : mine) {
            List<Envelope> fails = recorder.events(task, EventTypes.TASK_SERVICES_FAILED);
            assertThat(recorder.distinct(task, EventTypes.TASK_SERVICES_FAILED)).as("failed of %s", task)
                    .isEqualTo(1);
            assertThat(fails.get(0).payload(TaskServicesFailed.class).reason()).contains("lost");
        }
        // a broken link counts at once, so the grace is what it takes; the heartbeat timeout bounds a silent link
        assertThat(detectedMillis).isBetween(lostGrace - 200, heartbeatTimeout + lostGrace + 3_000);
        assertThat(gone).as("every service of the lost agent's tasks gone after its return: %s",
                liveServices(mine)).isTrue();
        assertThat(released).as("every task released after the agent's return").isTrue();
        for (String task : mine) {
            assertThat(recorder.distinct(task, EventTypes.TASK_SERVICES_RELEASED)).as("released of %s", task)
                    .isEqualTo(1);
            assertThat(recorder.distinct(task, EventTypes.TASK_SERVICES_READY)).as("ready of %s", task).isEqualTo(1);
            // re-attached, then told to stop: each service was still running and complied with SIGTERM
            var release = recorder.events(task, EventTypes.TASK_SERVICES_RELEASED).get(0)
                    .payload(TaskServicesReleased.class);
            assertThat(release.services()).as("release of %s", task)
                    .extracting(TaskServicesReleased.ServiceRelease::name, TaskServicesReleased.ServiceRelease::signal)
                    .containsExactlyInAnyOrder(SERVICES.stream().map(sv -> tuple(sv, "SIGTERM")).toArray(Tuple[]::new));
            assertThat(recorder.count(task, EventTypes.SERVICE_STOPPED)).as("service.stopped of %s", task)
                    .isEqualTo(SERVICES.size());
        }
        assertThat(orphans).isEmpty();
        // re-attached and stopped, never started again
        assertThat(launches.count()).isEqualTo(mine.size() * SERVICES.size());
        assertThat(launches.doubleStarts()).isEmpty();
        assertThat(launches.relaunches()).isEmpty();
        passed = true;
    }

    /**
     * Ends the given share of the tasks that are ready and not ended yet (oldest first). A ready task's services must
     * be running at that moment: if they are gone, the agent lost them (a restart that did not re-attach them).
     */
    private int endSome(List<String> all, Set<String> ended, double share, List<String> servicesLost)
            throws Exception {
        List<String> open = all.stream().filter(t -> !ended.contains(t) && ready(t)).toList();
        List<String> chosen = open.subList(0, (int) Math.round(open.size() * share));
        Map<String, Set<String>> running = new java.util.HashMap<>();
        for (Orphans.ServiceProcess p : liveServices(chosen)) {
            running.computeIfAbsent(p.task(), t -> new HashSet<>()).add(p.service());
        }
        for (String task : chosen) {
            Set<String> up = running.getOrDefault(task, Set.of());
            if (!up.containsAll(SERVICES)) {
                servicesLost.add(task + " runs " + up + " of " + SERVICES);
            }
            publishEnded(task);
            ended.add(task);
        }
        return chosen.size();
    }

    /** What the agent and orchestrators logged about the task, in the order of their starts. */
    private List<String> logLines(String task) {
        List<String> lines = new ArrayList<>();
        for (ChildJvm c : children) {
            try {
                lines.addAll(c.grep(task));
            } catch (IOException e) {
                lines.add(c.name() + ": " + e.getMessage());
            }
        }
        return lines;
    }

    /** The task id a problem line starts with. */
    private static String taskIn(String line) {
        int end = 0;
        while (end < line.length() && line.charAt(end) != ' ' && line.charAt(end) != '/' && line.charAt(end) != ':') {
            end++;
        }
        return line.substring(0, end);
    }

    /** Distinct tasks among "task/service ..." lines. */
    private static long tasksOf(List<String> lines) {
        return lines.stream().map(l -> l.substring(0, l.indexOf('/'))).distinct().count();
    }

    private boolean ready(String task) {
        return recorder.count(task, EventTypes.TASK_SERVICES_READY) >= 1;
    }

    /**
     * The tasks' service processes: service.sh, or the sleep it becomes (a probe, {@code true}, run in passing does not
     * count). The probe says ready at once, so a ready service may not have reached its {@code exec sleep} yet.
     */
    private static List<Orphans.ServiceProcess> liveServices(List<String> tasks) throws IOException {
        return Orphans.processes(tasks).stream().filter(p -> p.command().equals("sleep") || p.command().equals("sh"))
                .toList();
    }

    private ChildJvm orchestrator(String instance, int grpc, Map<String, String> extra) throws Exception {
        int http = freePort();
        Map<String, String> env = new LinkedHashMap<>(Map.of("BERTH_KAFKA_BOOTSTRAP", kafka.bootstrapServers(),
                "BERTH_GRPC_HOST", "127.0.0.1", "BERTH_GRPC_PORT", String.valueOf(grpc),
                "BERTH_HTTP_HOST", "127.0.0.1", "BERTH_HTTP_PORT", String.valueOf(http),
                "BERTH_INSTANCE", instance, "BERTH_GROUP_SESSION_TIMEOUT_MS", "6000"));
        env.put("BERTH_GRPC_PLAINTEXT", "true"); // loopback, this test's processes only
        env.putAll(extra);
        ChildJvm o = new ChildJvm(instance, root.resolve(instance + ".log"), classPath, List.of("orchestrator"),
                env);
        children.add(o);
        o.start();
        await().atMost(TIMEOUT).failFast(instance + " exited", () -> !o.alive()).ignoreExceptions()
                .until(() -> Http.get("http://127.0.0.1:" + http + "/readyz").status() == 200);
        return o;
    }

    /** Starts the agent and waits until every orchestrator knows it. */
    private ChildJvm agent(String worker, int... grpcPorts) throws Exception {
        String orchestrators = java.util.Arrays.stream(grpcPorts).mapToObj(p -> "127.0.0.1:" + p)
                .collect(Collectors.joining(","));
        ChildJvm a = new ChildJvm("agent", root.resolve("agent.log"), classPath, List.of("agent", "--worker", worker,
                "--state-dir", stateDir.toString(), "--orchestrator", orchestrators, "--metrics-port", "-1",
                "--network-mode", "namespace", "--capacity", "0"),
                Map.of("BERTH_KAFKA_BOOTSTRAP", kafka.bootstrapServers()));
        children.add(a);
        a.start();
        await().atMost(TIMEOUT).failFast("agent exited", () -> !a.alive()).until(() -> a.started(AGENT_UP));
        for (ChildJvm c : children) {
            if (c != a) {
                int http = Integer.parseInt(c.env("BERTH_HTTP_PORT"));
                await().atMost(TIMEOUT).ignoreExceptions().until(() -> Http.get("http://127.0.0.1:" + http
                        + "/api/v1/workers").body().contains(worker));
            }
        }
        return a;
    }

    private String newTask() {
        String task = "t-" + UUID.randomUUID();
        tasks.add(task);
        return task;
    }

    private void publishStarted(String task) throws Exception {
        List<ServiceRequest> services = new ArrayList<>();
        for (String name : SERVICES) {
            services.add(new ServiceRequest(name, null, ServiceConfigs.parseYaml(serviceYaml, name + ".yml"), null,
                    null));
        }
        send(task, codec.encode(EventTypes.TASK_STARTED, task, new TaskStarted(task, null, null, services, Map.of())));
    }

    private void publishEnded(String task) throws Exception {
        send(task, codec.encode(EventTypes.TASK_ENDED, task, new TaskEnded(task, "succeeded")));
    }

    private void send(String task, byte[] event) throws Exception {
        producer.send(new ProducerRecord<>(Topics.TASK_EVENTS, task, event)).get(60, TimeUnit.SECONDS);
    }

    /** Waits for the condition like Awaitility, but says whether it came instead of failing: the figures come first. */
    private static boolean awaitQuietly(Duration atMost, Callable<Boolean> condition) {
        try {
            await().atMost(atMost).ignoreExceptions().until(condition);
            return true;
        } catch (ConditionTimeoutException e) {
            return false;
        }
    }

    /** A pause of exactly this long (not a wait for a condition: the point is to land a kill at a random moment). */
    /** {@code task/service/pid} of every {@code service.starting} the agents published. */
    private Set<String> reportedLaunches() {
        Set<String> reported = new HashSet<>();
        for (String task : tasks) {
            for (Envelope e : recorder.events(task, EventTypes.SERVICE_STARTING)) {
                reported.add(task + "/" + e.data().path("service").asText() + "/" + e.data().path("pid").asLong());
            }
        }
        return reported;
    }

    private static void pause(long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        for (long left = deadline - System.nanoTime(); left > 0; left = deadline - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /**
     * The services' own record of their launches ({@code <task> <service> <pid> <epoch millis>}, or
     * {@code <task> <service> <pid> overlap} from a copy that started while another copy of it still ran).
     */
    record Launches(Map<String, List<long[]>> byService, List<String> overlaps, List<String> relaunches,
                    List<String> doubleStarts) {
        /** @param reported {@code task/service/pid} of every launch an agent reported ({@code service.starting}) */
        static Launches read(Path file, List<Long> agentKills, Set<String> reported) throws IOException {
            Map<String, List<long[]>> by = new TreeMap<>();
            List<String> overlaps = new ArrayList<>();
            if (Files.exists(file)) {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    String[] f = line.strip().split(" ");
                    if (f.length != 4) {
                        continue;
                    }
                    String key = f[0] + "/" + f[1];
                    if (f[3].equals("overlap")) {
                        overlaps.add(key + " (pid " + f[2] + ")");
                    } else {
                        by.computeIfAbsent(key, k -> new ArrayList<>())
                                .add(new long[] {Long.parseLong(f[2]), Long.parseLong(f[3])});
                    }
                }
            }
            List<String> relaunches = new ArrayList<>();
            List<String> doubles = new ArrayList<>();
            by.forEach((key, list) -> {
                if (list.size() < 2) {
                    return;
                }
                list.sort(Comparator.comparingLong(l -> l[1]));
                long first = list.get(0)[1];
                long second = list.get(1)[1];
                boolean killedBetween = agentKills.stream()
                        .anyMatch(k -> k >= first - LAUNCH_RECORD_LAG_MILLIS && k <= second);
                boolean firstUnreported = !reported.contains(key + "/" + list.get(0)[0]);
                String what = key + " launched " + list.size() + " times, at " + list.stream()
                        .map(l -> l[1] + " (pid " + l[0] + ")").collect(Collectors.joining(", "));
                if (list.size() == 2 && killedBetween && firstUnreported
                        && overlaps.stream().noneMatch(o -> o.startsWith(key + " "))) {
                    relaunches.add(what);
                } else {
                    doubles.add(what);
                }
            });
            return new Launches(by, overlaps, relaunches, doubles);
        }

        String describe(String task) {
            return byService.entrySet().stream().filter(e -> e.getKey().startsWith(task + "/"))
                    .map(e -> e.getKey().substring(task.length() + 1) + " at " + e.getValue().stream()
                            .map(l -> java.time.Instant.ofEpochMilli(l[1]).atZone(java.time.ZoneId.systemDefault())
                                    .toLocalTime() + " (pid " + l[0] + ")").toList())
                    .collect(Collectors.joining(", "));
        }

        List<long[]> of(String task, String service) {
            return byService.getOrDefault(task + "/" + service, List.of());
        }

        long count() {
            return byService.values().stream().mapToLong(List::size).sum();
        }
    }
}
