package io.berth.agent.probe;

import io.berth.events.config.ProbeSpec;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongFunction;

import static io.berth.agent.testing.Await.failure;
import static io.berth.agent.testing.Await.result;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The timer semantics, with hand-written probes whose answers depend on the time since start. */
@ExtendWith(VertxExtension.class)
class ProbeRunnerTest {

    record Counted(int attempt, ProbeResult result, long atMillis) {}

    /** A probe answering by elapsed milliseconds since {@code start}; counts its calls. */
    static final class TimedProbe implements Probe {
        final long start;
        final LongFunction<ProbeResult> answer;
        final Pace pace;
        final AtomicInteger calls = new AtomicInteger();

        TimedProbe(long start, Pace pace, LongFunction<ProbeResult> answer) {
            this.start = start;
            this.pace = pace;
            this.answer = answer;
        }

        @Override
        public ProbeResult check() {
            calls.incrementAndGet();
            return answer.apply((System.nanoTime() - start) / 1_000_000);
        }

        @Override
        public Pace pace() {
            return pace;
        }
    }

    final List<Counted> counted = new CopyOnWriteArrayList<>();
    long start;

    ProbeRunner runner(Vertx vertx, Probe probe, int threshold, double period) {
        start = System.nanoTime();
        return new ProbeRunner(vertx, "svc", probe, new ProbeSpec(null, threshold, period), start,
                System.currentTimeMillis(), probe,
                (attempt, r) -> counted.add(new Counted(attempt, r, (System.nanoTime() - start) / 1_000_000)));
    }

    /** Runs {@code probe} from an event-loop context, as the supervisor does. */
    Future<ProbeRunner.Readiness> onEventLoop(Vertx vertx, Probe probe) {
        Promise<ProbeRunner.Readiness> done = Promise.promise();
        vertx.getOrCreateContext().runOnContext(v -> runner(vertx, probe, 3, 1).run(never()).onComplete(done));
        return done.future();
    }

    static Future<Integer> never() {
        return Promise.<Integer>promise().future();
    }

    @Test
    void aNonBlockingProbeRunsOnTheEventLoop_aBlockingOneOnAWorker(Vertx vertx) throws Exception {
        List<String> threads = new CopyOnWriteArrayList<>();
        class Recording implements Probe {
            final boolean nonBlocking;

            Recording(boolean nonBlocking) {
                this.nonBlocking = nonBlocking;
            }

            @Override
            public ProbeResult check() {
                threads.add(Thread.currentThread().getName());
                return threads.size() % 3 == 0 ? ProbeResult.success("ok") : ProbeResult.failure("not yet");
            }

            @Override
            public Pace pace() {
                return Pace.PROC;
            }

            @Override
            public boolean nonBlocking() {
                return nonBlocking;
            }
        }
        result(onEventLoop(vertx, new Recording(true)));
        assertTrue(threads.stream().allMatch(t -> t.startsWith("vert.x-eventloop-thread")), threads.toString());
        threads.clear();
        result(onEventLoop(vertx, new Recording(false)));
        assertTrue(threads.stream().allMatch(t -> t.startsWith("vert.x-worker-thread")), threads.toString());
    }

    @Test
    void portsOpeningAfter30ms_areSeenWithinMilliseconds(Vertx vertx) throws Exception {
        long t0 = System.nanoTime();
        TimedProbe probe = new TimedProbe(t0, Pace.PROC,
                ms -> ms >= 30 ? ProbeResult.success("open") : ProbeResult.failure("closed"));

        ProbeRunner.Readiness ready = result(runner(vertx, probe, 3, 1).run(never()));

        long readyMs = ready.readyAfterNanos() / 1_000_000;
        long sinceOpenDecided = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("ready %d ms after start for a port opening at 30 ms (%d checks)%n", readyMs, probe.calls.get());
        // The runner's clock starts a little after t0, the probe's at t0: bound each on its own clock.
        assertTrue(sinceOpenDecided >= 30, "ready before the port opened: " + sinceOpenDecided + " ms");
        // the period is 1 s: ready well before it means probing ran at its fast pace (the benchmark measures how fast;
        // the bound leaves a loaded machine room)
        assertTrue(readyMs < 500, "ready after " + readyMs + " ms");
        assertEquals(1, ready.attempts());
        assertEquals(List.of(1), counted.stream().map(Counted::attempt).toList());
        assertTrue(counted.get(0).result().isSuccess());
        assertTrue(ready.portOpenAtMillis() != null && ready.portOpenAtMillis() <= ready.readyAtMillis());
    }

    @Test
    void probeNeverSucceeding_failsExactlyAtThresholdTimesPeriod_countingOncePerPeriod(Vertx vertx) throws Exception {
        TimedProbe probe = new TimedProbe(System.nanoTime(), Pace.PROC, ms -> ProbeResult.failure("closed at " + ms));

        Throwable e = failure(runner(vertx, probe, 3, 0.2).run(never()));

        long failedMs = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("failed %d ms after start (3 x 0.2 s), %d checks made%n", failedMs, probe.calls.get());
        assertInstanceOf(ServiceNotReadyException.class, e);
        // never early; late only by scheduling (a loaded machine), well within one more period
        assertTrue(failedMs >= 600 && failedMs < 800, "failed after " + failedMs + " ms");
        assertTrue(e.getMessage().startsWith("service 'svc': startup probe failed 3 times in 0.6"), e.getMessage());
        assertTrue(e.getMessage().contains("(failure_threshold 3 × period_seconds 0.2): closed at "), e.getMessage());
        assertEquals(List.of(1, 2, 3), counted.stream().map(Counted::attempt).toList());
        for (Counted c : counted) {
            assertTrue(c.atMillis() >= c.attempt() * 200L && c.atMillis() < (c.attempt() + 1) * 200L,
                    "attempt " + c.attempt() + " counted at " + c.atMillis() + " ms");
        }
        // probing at the period's pace would make 3 checks; fast probing makes dozens even on a loaded machine
        assertTrue(probe.calls.get() > 20, "probed fast while starting: " + probe.calls.get() + " checks");
    }

    @Test
    void commandPace_backsOffButNeverSlowerThanThePeriod(Vertx vertx) throws Exception {
        TimedProbe probe = new TimedProbe(System.nanoTime(), Pace.COMMAND, ms -> ProbeResult.failure("no"));

        failure(runner(vertx, probe, 2, 0.02).run(never()));

        // a 20 ms period caps the interval below the 50 ms command pace: at least one check per period
        assertTrue(probe.calls.get() >= 2, probe.calls.get() + " checks");
    }

    @Test
    void errorsCountAsFailures_andKeepTheirKind(Vertx vertx) throws Exception {
        TimedProbe probe = new TimedProbe(System.nanoTime(), Pace.PROC, ms -> ProbeResult.error("cannot run x"));

        Throwable e = failure(runner(vertx, probe, 2, 0.05).run(never()));

        assertTrue(e.getMessage().endsWith(": cannot run x"), e.getMessage());
        assertEquals(List.of(ProbeResult.Status.ERROR, ProbeResult.Status.ERROR),
                counted.stream().map(c -> c.result().status()).toList());
    }

    @Test
    void successAfterCountedFailures_isReportedAsTheNextAttempt(Vertx vertx) throws Exception {
        TimedProbe probe = new TimedProbe(System.nanoTime(), Pace.PROC,
                ms -> ms >= 120 ? ProbeResult.success("up") : ProbeResult.failure("down"));

        ProbeRunner.Readiness ready = result(runner(vertx, probe, 5, 0.05).run(never()));

        assertEquals(List.of(1, 2, 3), counted.stream().map(Counted::attempt).toList());
        assertEquals(3, ready.attempts());
        assertTrue(counted.get(2).result().isSuccess());
    }

    @Test
    void checkStillRunningAtTheDeadline_doesNotDelayTheFailure(Vertx vertx) throws Exception {
        java.util.concurrent.CountDownLatch hung = new java.util.concurrent.CountDownLatch(1);
        Probe slow = new Probe() {
            @Override
            public ProbeResult check() {
                try {
                    hung.await(); // a hung check command, until the test lets it go
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return ProbeResult.failure("late");
            }
        };

        try {
            Throwable e = failure(runner(vertx, slow, 2, 0.1).run(never()));

            long failedMs = (System.nanoTime() - start) / 1_000_000;
            // a failure that waited for the hung check would never come: the bound only leaves scheduling room
            assertTrue(failedMs >= 200 && failedMs < 1000, "failed after " + failedMs + " ms");
            assertTrue(e.getMessage().endsWith("no answer within 0.1 s"), e.getMessage());
        } finally {
            hung.countDown();
        }
    }

    @Test
    void serviceExitingBeforeReady_failsAtOnceWithItsExitCode(Vertx vertx) throws Exception {
        TimedProbe probe = new TimedProbe(System.nanoTime(), Pace.PROC, ms -> ProbeResult.failure("closed"));
        Promise<Integer> exit = Promise.promise();
        vertx.setTimer(50, id -> exit.complete(1));

        Throwable e = failure(runner(vertx, probe, 10, 1).run(exit.future()));

        long failedMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals("service 'svc' exited with code 1 before it was ready", e.getMessage());
        assertTrue(failedMs < 500, failedMs + " ms"); // not at the next probe, a period (1 s) later
    }

    @Test
    void exitBySignal_isNamed() {
        assertEquals("137 (SIGKILL)", ProbeRunner.describeExit(137));
        assertEquals("143 (SIGTERM)", ProbeRunner.describeExit(143));
        assertEquals("2", ProbeRunner.describeExit(2));
    }

    @Test
    void stop_isIdempotent_andEndsProbing(Vertx vertx) throws Exception {
        TimedProbe probe = new TimedProbe(System.nanoTime(), Pace.PROC, ms -> ProbeResult.failure("closed"));
        ProbeRunner runner = runner(vertx, probe, 10, 1);
        Future<ProbeRunner.Readiness> run = runner.run(never());
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(1)).until(() -> probe.calls.get() > 3);

        runner.stop();
        runner.stop();

        Throwable e = failure(run);
        assertTrue(e.getMessage().contains("startup probe stopped"), e.getMessage());
        int calls = probe.calls.get();
        result(vertx.timer(50)); // a quiet period: nothing may be probed in it
        assertTrue(probe.calls.get() <= calls + 1, (probe.calls.get() - calls) + " checks after stop");
        assertTrue(counted.isEmpty());
    }

    @Test
    void withoutAPortWatch_portOpenIsUnknown(Vertx vertx) throws Exception {
        Probe ok = () -> ProbeResult.success("fine");
        start = System.nanoTime();
        ProbeRunner r = new ProbeRunner(vertx, "svc", ok, new ProbeSpec(null, 1, 1), start,
                System.currentTimeMillis(), null, (a, res) -> { });

        assertNull(result(r.run(never())).portOpenAtMillis());
    }
}
