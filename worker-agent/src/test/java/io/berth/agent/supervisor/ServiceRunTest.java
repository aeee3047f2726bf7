package io.berth.agent.supervisor;

import static io.berth.agent.supervisor.SupervisorNamespaceTest.redis;
import static io.berth.agent.testing.Await.result;
import static io.berth.agent.testing.Configs.probe;
import static io.berth.agent.testing.Configs.run;
import static io.berth.agent.testing.Configs.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.agent.AgentSettings;
import io.berth.agent.network.NamespaceNetwork;
import io.berth.agent.network.TaskNetwork;
import io.berth.agent.os.Users;
import io.berth.agent.runtime.ProcessRuntime;
import io.berth.agent.runtime.ServiceProcess;
import io.berth.agent.runtime.ServiceSetup;
import io.berth.agent.testing.Cleanup;
import io.berth.agent.testing.ServiceProcesses;
import io.berth.events.config.ServiceConfig;
import io.berth.events.payload.ServiceEvent;
import io.berth.events.payload.ServiceExited;
import io.berth.events.payload.ServiceFailed;
import io.berth.events.payload.ServiceReady;
import io.berth.events.payload.ServiceStarting;
import io.berth.events.payload.ServiceStopped;
import io.berth.events.payload.TaskServicesReleased.ServiceRelease;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One service through its phases — launch, probe, ready, exit, termination — as real processes in a real network
 * namespace: what it journals before it reports, what it reports, and what it says again.
 */
@ExtendWith(VertxExtension.class)
class ServiceRunTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    final Cleanup cleanup = new Cleanup();
    /** journal writes and events, in the order they happened */
    final List<String> timeline = new CopyOnWriteArrayList<>();
    final List<ServiceEvent> events = new CopyOnWriteArrayList<>();
    /** when the journal has written a launch, and readiness: at once unless a test holds them */
    Promise<Void> launchWritten = completed();
    Promise<Void> readyWritten = completed();
    ProcessRuntime runtime;
    Context context;
    TaskNetwork network;
    String taskId;

    @BeforeAll
    static void root() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Users.agentIsRoot(), "needs root");
    }

    @BeforeEach
    void setUp(Vertx vertx) throws Exception {
        runtime = new ProcessRuntime(vertx, new ServiceSetup(AgentSettings.defaults("w1")
                .withStateDir(cleanup.stateDir())));
        context = vertx.getOrCreateContext();
        taskId = cleanup.taskId("run");
        network = result(on(() -> NamespaceNetwork.create(vertx, taskId)));
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            result(on(() -> network.release()));
        } finally {
            cleanup.run();
        }
    }

    @Test
    void aLaunchIsReportedOnlyOnceItIsJournalled_andReadinessToo() throws Exception {
        launchWritten = Promise.promise();
        readyWritten = Promise.promise();
        ServiceRun db = serviceRun("db", redis(6379));

        Future<Void> started = on(() -> db.start(Future.succeededFuture(network)));
        Awaitility.await().atMost(WAIT).until(() -> timeline.contains("journal launched"));
        result(on(Future::succeededFuture)); // whatever the launch set off on the context has run
        assertThat(events).as("nothing said before the journal has it").isEmpty();
        assertThat(started.isComplete()).isFalse();
        context.runOnContext(v -> launchWritten.complete());
        result(started);

        Awaitility.await().atMost(WAIT).until(() -> timeline.contains("journal ready"));
        result(on(Future::succeededFuture));
        assertThat(events.stream().filter(e -> e instanceof ServiceReady)).isEmpty();
        context.runOnContext(v -> readyWritten.complete());
        ServiceReady ready = await(ServiceReady.class);

        assertThat(timeline.stream().filter(s -> !s.equals("probe"))).containsExactly(
                "journal launched", "starting", "journal ready", "ready");
        assertThat(the(ServiceStarting.class).pid()).isEqualTo(db.process().launched().pid());
        assertThat(ready.host()).isEqualTo("127.0.0.1");
        assertThat(ready.ports()).isEqualTo(Map.of("default", 6379));
        assertThat(ready.network().path()).isEqualTo(network.path());
        assertThat(ready.readyAtMillis()).isGreaterThanOrEqualTo(ready.startedAtMillis());
        assertThat(ready.worker()).isEqualTo("w1");
        assertThat(ready.generation()).isEqualTo(2);
        assertThat(db.state()).isEqualTo(ServiceRun.State.READY);
    }

    @Test
    void theProbeRunsWhileTheLaunchIsJournalled_itsOutcomeIsSaidOnlyAfterStarting() throws Exception {
        launchWritten = Promise.promise();
        ServiceRun db = serviceRun("db", redis(6379));

        Future<Void> started = on(() -> db.start(Future.succeededFuture(network)));
        Awaitility.await().atMost(WAIT).until(() -> timeline.contains("journal launched"));
        // with the journal still held, the probe runs and sees redis ready; nothing of it is said yet
        Awaitility.await().atMost(WAIT).until(() -> result(on(() -> Future.succeededFuture(db.probed() != null
                && db.probed().succeeded()))));
        long journalDone = System.currentTimeMillis();
        assertThat(events).as("nothing said before the journal has the launch").isEmpty();
        context.runOnContext(v -> launchWritten.complete());
        result(started);
        ServiceReady ready = await(ServiceReady.class);

        assertThat(ready.readyAtMillis()).as("seen ready while the launch was being journalled")
                .isLessThanOrEqualTo(journalDone);
        assertThat(timeline.stream().filter(s -> !s.equals("probe"))).containsExactly(
                "journal launched", "starting", "journal ready", "ready");
    }

    @Test
    void countedProbeFailuresDuringTheJournalWrite_areSaidAfterStarting_inOrder() throws Exception {
        launchWritten = Promise.promise();
        ServiceRun web = serviceRun("web", service(run("/bin/sleep", "100"), List.of(), probe(run("/bin/false"), 3,
                0.05), 30));

        Future<Void> started = on(() -> web.start(Future.succeededFuture(network)));
        // with the journal still held, the probe fails three times and gives up; nothing of it is said yet
        Awaitility.await().atMost(WAIT).until(() -> result(on(() -> Future.succeededFuture(web.probed() != null
                && web.probed().failed()))));
        result(on(Future::succeededFuture));
        assertThat(events).as("nothing said before the journal has the launch").isEmpty();
        context.runOnContext(v -> launchWritten.complete());
        result(started);
        await(ServiceFailed.class);

        assertThat(timeline).containsExactly("journal launched", "starting", "probe", "probe", "probe", "failed");
    }

    @Test
    void aServiceThatNeverPassesItsProbe_failsWithTheProbesReason_andIsStoppedAtOnce() throws Exception {
        ServiceRun web = serviceRun("web", service(run("/bin/sleep", "100"), List.of(), probe(run("/bin/false"), 1, 0.2),
                30));

        result(on(() -> web.start(Future.succeededFuture(network))));
        ServiceFailed failed = await(ServiceFailed.class);

        assertThat(failed.reason()).contains("startup probe");
        assertThat(timeline).doesNotContain("journal ready", "ready");
        assertThat(web.state()).isEqualTo(ServiceRun.State.FAILED);
        List<ProcessHandle> processes = ServiceProcesses.of(web.process().launched().pid());
        Awaitility.await().atMost(WAIT).until(() -> ServiceProcesses.alive(processes).isEmpty());
    }

    @Test
    void aServiceThatEndsBeforeItIsReady_failsWithTheLastLinesOfItsLog() throws Exception {
        ServiceRun web = serviceRun("web", service(run("/bin/sh", "-c", "echo starting; echo 'listen: bad address' >&2;"
                + " exit 2"), List.of(), probe(run("/bin/false"), 50, 1), 30));

        result(on(() -> web.start(Future.succeededFuture(network))));
        ServiceFailed failed = await(ServiceFailed.class);

        assertThat(failed.logTail()).containsSubsequence("starting", "listen: bad address");
        assertThat(web.state()).isEqualTo(ServiceRun.State.FAILED);
    }

    @Test
    void aReadyServiceThatEnds_isReportedExited_withItsCodeAndLastLines() throws Exception {
        ServiceRun job = serviceRun("job", service(run("/bin/sh", "-c", "echo working; sleep 100; echo done; exit 4"),
                List.of(), probe(run("/bin/true"), 3, 0.2), 30));
        result(on(() -> job.start(Future.succeededFuture(network))));
        await(ServiceReady.class);

        ServiceProcesses.of(job.process().launched().pid()).stream()
                .filter(h -> h.info().command().orElse("").endsWith("sleep")).forEach(ProcessHandle::destroy);
        ServiceExited exited = await(ServiceExited.class);

        assertThat(exited.exitCode()).isEqualTo(4);
        assertThat(exited.logTail()).containsSubsequence("working", "done");
        assertThat(job.state()).isEqualTo(ServiceRun.State.EXITED);
    }

    @Test
    void theLastOutcomeIsSaidAgainOnRequest_butNotOnceTheServiceIsStopping() throws Exception {
        ServiceRun db = serviceRun("db", redis(6379));
        result(on(() -> db.start(Future.succeededFuture(network))));
        ServiceReady ready = await(ServiceReady.class);

        result(on(() -> {
            db.reportAgain();
            return Future.succeededFuture();
        }));
        assertThat(events.stream().filter(e -> e instanceof ServiceReady)).containsExactly(ready, ready);

        ServiceRelease release = result(on(db::terminate));
        result(on(() -> {
            db.reportAgain();
            return Future.succeededFuture();
        }));
        assertThat(events.stream().filter(e -> e instanceof ServiceReady)).hasSize(2);
        assertThat(release.signal()).isEqualTo("SIGTERM");
        assertThat(db.state()).isEqualTo(ServiceRun.State.STOPPED);
    }

    @Test
    void terminationIsIdempotent_andItsReportWaitsForTheTask() throws Exception {
        ServiceRun db = serviceRun("db", redis(6379));
        result(on(() -> db.start(Future.succeededFuture(network))));
        await(ServiceReady.class);

        Future<ServiceRelease> first = on(db::terminate);
        ServiceRelease release = result(first);
        ServiceRelease again = result(on(db::terminate));

        assertThat(again).isSameAs(release);
        assertThat(release.name()).isEqualTo("db");
        assertThat(release.exitCode()).isZero();
        assertThat(events.stream().filter(e -> e instanceof ServiceStopped)).as("the task reports it").isEmpty();
        result(on(() -> db.reportStopped(release)));
        ServiceStopped stopped = the(ServiceStopped.class);
        assertThat(stopped.signal()).isEqualTo("SIGTERM");
        assertThat(stopped.durationMillis()).isEqualTo(release.durationMillis());
        assertThat(ServiceProcesses.of(db.process().launched().pid())).isEmpty();
    }

    @Test
    void aServiceThatCannotBeLaunched_isReportedFailed_namingIt_andNothingIsJournalled() throws Exception {
        ServiceRun broken = serviceRun("broken", service(run("/nonexistent/bin/server"), List.of(),
                probe(run("/bin/true"), 1, 1), 1));

        result(on(() -> broken.start(Future.succeededFuture(network))));

        ServiceFailed failed = the(ServiceFailed.class);
        assertThat(failed.reason()).contains("'broken'");
        assertThat(timeline).containsExactly("failed");
        assertThat(broken.state()).isEqualTo(ServiceRun.State.FAILED);
        ServiceRelease release = result(on(broken::terminate));
        assertThat(release.signal()).as("nothing ran, nothing to signal").isEqualTo("none");
    }

    @Test
    void aServiceStoppedBeforeItsStart_isNeverLaunched() throws Exception {
        ServiceRun late = serviceRun("late", redis(6379));

        ServiceRelease release = result(on(late::terminate));
        result(on(() -> late.start(Future.succeededFuture(network))));

        assertThat(release.signal()).isEqualTo("none");
        assertThat(late.process()).isNull();
        assertThat(timeline).isEmpty();
    }

    private ServiceRun serviceRun(String name, ServiceConfig config) {
        TaskLaunch launch = new TaskLaunch(taskId, 2, null, Map.of(name, config), Map.of());
        ServiceRun run = new ServiceRun(context.owner(), context, runtime, launch, "w1", name,
                new ServiceRun.Journalling() {
                    @Override
                    public Future<Void> launched(ServiceProcess process) {
                        cleanup.processGroup(process.launched().pid());
                        timeline.add("journal launched");
                        return launchWritten.future();
                    }

                    @Override
                    public Future<Void> ready() {
                        timeline.add("journal ready");
                        return readyWritten.future();
                    }
                }, event -> {
                    events.add(event);
                    timeline.add(kind(event));
                    return Future.succeededFuture();
                });
        return run;
    }

    private static Promise<Void> completed() {
        Promise<Void> done = Promise.promise();
        done.complete();
        return done;
    }

    private static String kind(ServiceEvent event) {
        String type = event.getClass().getSimpleName(); // ServiceReady: ready
        return type.substring("Service".length()).toLowerCase(java.util.Locale.ROOT);
    }

    private <T extends ServiceEvent> T await(Class<T> type) {
        Awaitility.await().atMost(WAIT).until(() -> events.stream().anyMatch(type::isInstance)
                || (type != ServiceFailed.class && events.stream().anyMatch(ServiceFailed.class::isInstance)));
        return the(type);
    }

    private <T extends ServiceEvent> T the(Class<T> type) {
        return events.stream().filter(type::isInstance).map(type::cast).findFirst()
                .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " among " + events));
    }

    /** ServiceRun is confined to the supervisor's context. */
    private <T> Future<T> on(Supplier<Future<T>> action) {
        Promise<T> done = Promise.promise();
        context.runOnContext(v -> action.get().onComplete(done));
        return done.future();
    }
}
