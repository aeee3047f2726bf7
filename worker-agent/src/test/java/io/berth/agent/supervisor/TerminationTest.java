package io.berth.agent.supervisor;

import static io.berth.agent.testing.Await.result;
import static io.berth.agent.testing.Configs.run;
import static io.berth.agent.testing.Configs.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.agent.AgentSettings;
import io.berth.agent.os.Signal;
import io.berth.agent.os.Users;
import io.berth.agent.runtime.ProcessRuntime;
import io.berth.agent.runtime.ServiceLaunch;
import io.berth.agent.runtime.ServiceProcess;
import io.berth.agent.runtime.ServiceSetup;
import io.berth.agent.testing.Cleanup;
import io.berth.agent.testing.ServiceProcesses;
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
 * One service's termination, on real processes launched as the agent launches them: the service's own stop first,
 * then SIGTERM to the group, SIGKILL only for what outlives the grace period, and the result a release reports.
 */
@ExtendWith(VertxExtension.class)
class TerminationTest {
    final Cleanup cleanup = new Cleanup();
    ProcessRuntime runtime;
    Context context;

    @BeforeAll
    static void root() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Users.agentIsRoot(), "needs root");
    }

    @BeforeEach
    void setUp(Vertx vertx) throws Exception {
        runtime = new ProcessRuntime(vertx, new ServiceSetup(AgentSettings.defaults("w")
                .withStateDir(cleanup.stateDir())));
        context = vertx.getOrCreateContext();
    }

    @AfterEach
    void tearDown() throws Exception {
        cleanup.run();
    }

    @Test
    void aServiceThatStopsOnSigterm_getsNoSigkill_andItsStopIsTimed() throws Exception {
        Recorded service = launch("polite", "trap 'exit 0' TERM; sleep 100 & wait");

        Termination.Result r = terminate(service, Duration.ofSeconds(30));

        assertThat(service.actions).containsExactly("requestStop", "SIGTERM");
        assertThat(r.signal()).isEqualTo(Signal.SIGTERM);
        assertThat(r.reportedSignal()).isEqualTo("SIGTERM");
        assertThat(r.exitCode()).isZero();
        assertThat(r.durationMillis()).isBetween(0L, 10_000L);
        assertThat(ServiceProcesses.alive(service.processes)).isEmpty();
    }

    @Test
    void whatIgnoresSigterm_getsSigkill_onceTheGracePeriodIsOver() throws Exception {
        Recorded service = launch("stubborn", "trap '' TERM; sleep 100 & wait");

        Termination.Result r = terminate(service, Duration.ofMillis(500));

        assertThat(service.actions).containsExactly("requestStop", "SIGTERM", "SIGKILL");
        assertThat(r.reportedSignal()).isEqualTo("SIGKILL");
        assertThat(r.durationMillis()).as("the whole grace period, counted from the stop request")
                .isGreaterThanOrEqualTo(500L);
        assertThat(r.exitCode()).isEqualTo(128 + Signal.SIGKILL.number());
        assertThat(ServiceProcesses.alive(service.processes)).as("SIGKILL reached the whole group").isEmpty();
    }

    @Test
    void aServiceThatEndedByItself_isReportedWithItsOwnExitCode_andNoSignal() throws Exception {
        Recorded service = launch("short", "exit 3");
        result(service.exit());

        Termination.Result r = terminate(service, Duration.ofSeconds(30));

        assertThat(service.actions).as("its own stop still runs (a prototype's down cleans up after it)")
                .containsExactly("requestStop");
        assertThat(r.reportedSignal()).isEqualTo(Signal.NONE);
        assertThat(r.durationMillis()).isZero();
        assertThat(r.exitCode()).isEqualTo(3);
    }

    private Recorded launch(String name, String script) throws Exception {
        ServiceProcess p = result(on(() -> runtime.start(new ServiceLaunch("task-1", 1, name,
                service(run("/bin/sh", "-c", script), List.of(), null, 1), Map.of(), null))));
        cleanup.processGroup(p.launched().pid());
        Recorded recorded = new Recorded(p);
        if (!script.startsWith("exit")) {
            // the launcher (the sandbox's init), the shell and its sleep are up before anything is signalled
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> ServiceProcesses.of(p.launched().pid()).size() >= 3);
            recorded.processes.addAll(ServiceProcesses.of(p.launched().pid()));
        }
        return recorded;
    }

    private Termination.Result terminate(Recorded service, Duration grace) throws Exception {
        return result(on(() -> Termination.terminate(context.owner(), service.name(), service, grace)));
    }

    /** Runs on the context the supervisor would: Termination is confined to it. */
    private <T> Future<T> on(Supplier<Future<T>> action) {
        Promise<T> done = Promise.promise();
        context.runOnContext(v -> action.get().onComplete(done));
        return done.future();
    }

    /** The launched service, with what termination asked of it, in order. */
    private static final class Recorded implements ServiceProcess {
        final ServiceProcess process;
        final List<String> actions = new CopyOnWriteArrayList<>();
        final List<ProcessHandle> processes = new CopyOnWriteArrayList<>();

        Recorded(ServiceProcess process) {
            this.process = process;
        }

        String name() {
            return "pid " + process.launched().pid();
        }

        @Override
        public Future<Void> requestStop(Duration within) {
            actions.add("requestStop");
            return process.requestStop(within);
        }

        @Override
        public Future<Boolean> signalGroup(Signal signal) {
            actions.add(signal.name());
            return process.signalGroup(signal);
        }

        @Override
        public Launched launched() {
            return process.launched();
        }

        @Override
        public Future<Integer> exit() {
            return process.exit();
        }

        @Override
        public Future<Boolean> anyAlive() {
            return process.anyAlive();
        }

        @Override
        public Future<Void> cleanup() {
            return process.cleanup();
        }
    }
}
