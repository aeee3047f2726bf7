package io.berth.agent.probe;

import io.berth.events.config.ProbeSpec;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * The timer over a {@link Probe}: it owns period, threshold and deadline.
 *
 * <p>While the service starts the probe runs as fast as its {@link Pace} allows, so readiness is
 * seen within milliseconds. Failures are counted only at period boundaries: failure k is counted at
 * {@code start + k × period} with the latest answer, so the service fails exactly at
 * {@code failureThreshold × periodSeconds} after it was launched — not earlier, and only timer
 * latency later. Each counted attempt (failures, then the success) goes to the {@link Listener}.
 *
 * <p>All state lives on one Vert.x context; the probe itself runs on worker threads.
 */
public final class ProbeRunner {

    /** Told about each counted attempt, on the runner's context. */
    public interface Listener {
        void attempt(int attempt, ProbeResult result);
    }

    /**
     * The service is ready.
     *
     * @param portOpenAtMillis when its ports were first seen listening (null if it has none or they were not watched)
     * @param attempts         the number of the successful attempt (counted failures + 1)
     */
    public record Readiness(long readyAtMillis, Long portOpenAtMillis, int attempts, long readyAfterNanos) {}

    private final Vertx vertx;
    private final Context context;
    private final String service;
    private final Probe probe;
    private final Probe portWatch;
    private final ProbeSpec spec;
    private final long startNanos;
    private final long startMillis;
    private final long periodNanos;
    private final Listener listener;
    private final Promise<Readiness> outcome = Promise.promise();

    private boolean done;
    private boolean started;
    private int counted;
    private ProbeResult latest;
    private long intervalNanos;
    private long portOpenNanos = -1;
    private long probeTimer = -1;
    private long boundaryTimer = -1;

    /**
     * @param startNanos  when the service was launched ({@link System#nanoTime()}); periods count from there
     * @param startMillis the same instant in epoch ms
     * @param portWatch   optional probe whose first success is recorded as "ports open" (may be {@code probe} itself)
     */
    public ProbeRunner(Vertx vertx, String service, Probe probe, ProbeSpec spec, long startNanos, long startMillis,
                       Probe portWatch, Listener listener) {
        if (spec.failureThreshold() < 1 || !(spec.periodSeconds() > 0)) {
            throw new IllegalArgumentException("service '" + service + "': startup probe needs failure_threshold >= 1 "
                    + "and period_seconds > 0");
        }
        this.vertx = vertx;
        this.context = vertx.getOrCreateContext();
        this.service = service;
        this.probe = probe;
        this.portWatch = portWatch;
        this.spec = spec;
        this.startNanos = startNanos;
        this.startMillis = startMillis;
        this.periodNanos = Probes.periodOf(spec.periodSeconds()).toNanos();
        this.listener = listener;
        this.intervalNanos = Math.min(probe.pace().first().toNanos(), periodNanos);
    }

    /**
     * Starts probing. Completes when the probe succeeds; fails with {@link ServiceNotReadyException}
     * when the threshold is reached, when {@code exit} completes first (the service died), or on {@link #stop()}.
     */
    public Future<Readiness> run(Future<Integer> exit) {
        context.runOnContext(v -> {
            if (started || done) {
                return;
            }
            started = true;
            exit.onComplete(ar -> context.runOnContext(x -> exited(ar)));
            scheduleBoundary(1);
            probeNow();
        });
        return outcome.future();
    }

    /** Stops probing (idempotent); a pending {@link #run} fails with "probe stopped". */
    public void stop() {
        context.runOnContext(v -> finish(null, "service '" + service + "': startup probe stopped"));
    }

    private record Sample(ProbeResult result, long portOpenNanos) {}

    private void probeNow() {
        probeTimer = -1;
        if (done) {
            return;
        }
        boolean watchPorts = portWatch != null && portWatch != probe && portOpenNanos < 0;
        Callable<Sample> attempt = () -> {
            long seen = -1;
            if (watchPorts && portWatch.check().isSuccess()) {
                seen = System.nanoTime();
            }
            long probeStart = System.nanoTime();
            ProbeResult r = probe.check();
            if (watchPorts && seen < 0 && r.isSuccess() && portWatch.check().isSuccess()) {
                // the ports opened while the check ran: closed just before it, open after it
                seen = probeStart;
            }
            return new Sample(r, seen);
        };
        if (probe.nonBlocking() && (!watchPorts || portWatch.nonBlocking())) {
            try {
                sampled(Future.succeededFuture(attempt.call()));
            } catch (Exception e) {
                sampled(Future.failedFuture(e));
            }
        } else {
            context.executeBlocking(attempt, false).onComplete(this::sampled);
        }
    }

    private void sampled(AsyncResult<Sample> ar) {
        if (done) {
            return;
        }
        ProbeResult r = ar.succeeded() ? ar.result().result()
                : ProbeResult.error("probe crashed: " + ar.cause());
        if (ar.succeeded() && ar.result().portOpenNanos() >= 0 && portOpenNanos < 0) {
            portOpenNanos = ar.result().portOpenNanos();
        }
        latest = r;
        if (r.isSuccess()) {
            long now = System.nanoTime();
            if (portWatch == probe && portOpenNanos < 0) {
                portOpenNanos = now;
            }
            listener.attempt(counted + 1, r);
            Long portOpenAt = portOpenNanos < 0 ? null : toMillis(portOpenNanos);
            finish(new Readiness(toMillis(now), portOpenAt, counted + 1, now - startNanos), null);
            return;
        }
        long delayMs = Math.max(1, Math.round(intervalNanos / 1e6));
        intervalNanos = Math.min(periodNanos, Math.min(probe.pace().max().toNanos(),
                Math.round(intervalNanos * probe.pace().factor())));
        probeTimer = vertx.setTimer(delayMs, id -> probeNow());
    }

    private void scheduleBoundary(int k) {
        long target = startNanos + k * periodNanos;
        long waitNanos = target - System.nanoTime();
        long delayMs = Math.max(1, (waitNanos + 999_999) / 1_000_000);
        boundaryTimer = vertx.setTimer(delayMs, id -> boundary(k, target));
    }

    private void boundary(int k, long target) {
        boundaryTimer = -1;
        if (done) {
            return;
        }
        if (System.nanoTime() < target) { // timers may round down; never count a failure early
            scheduleBoundary(k);
            return;
        }
        ProbeResult r = latest != null ? latest
                : ProbeResult.failure("no answer within " + seconds(periodNanos) + " s");
        if (r.isSuccess()) { // cannot happen: success finishes at once; keep the counter honest anyway
            r = ProbeResult.failure(r.message());
        }
        counted = k;
        listener.attempt(k, r);
        if (k >= spec.failureThreshold()) {
            finish(null, String.format(Locale.ROOT,
                    "service '%s': startup probe failed %d times in %s s (failure_threshold %d × period_seconds %s): %s",
                    service, k, seconds(System.nanoTime() - startNanos), spec.failureThreshold(),
                    seconds(periodNanos), r.message()));
            return;
        }
        scheduleBoundary(k + 1);
    }

    private void exited(AsyncResult<Integer> ar) {
        if (done) {
            return;
        }
        String how = ar.succeeded() ? "exited with code " + describeExit(ar.result()) : "was lost: " + ar.cause();
        finish(null, "service '" + service + "' " + how + " before it was ready");
    }

    /** {@code 1}, or {@code 137 (SIGKILL)} for a signal death as Java reports it (128 + signal). */
    public static String describeExit(int code) {
        if (code > 128 && code < 128 + 65) {
            String name = switch (code - 128) {
                case 1 -> "SIGHUP";
                case 2 -> "SIGINT";
                case 6 -> "SIGABRT";
                case 9 -> "SIGKILL";
                case 11 -> "SIGSEGV";
                case 15 -> "SIGTERM";
                default -> "signal " + (code - 128);
            };
            return code + " (" + name + ")";
        }
        return Integer.toString(code);
    }

    private void finish(Readiness ready, String failure) {
        if (done) {
            return;
        }
        done = true;
        if (probeTimer >= 0) {
            vertx.cancelTimer(probeTimer);
        }
        if (boundaryTimer >= 0) {
            vertx.cancelTimer(boundaryTimer);
        }
        if (failure != null) {
            // abort a check command still in flight
            context.executeBlocking(() -> {
                probe.close();
                if (portWatch != null && portWatch != probe) {
                    portWatch.close();
                }
                return null;
            }, false);
            outcome.tryFail(new ServiceNotReadyException(failure));
        } else {
            outcome.tryComplete(ready);
        }
    }

    private long toMillis(long nanos) {
        return startMillis + Math.round((nanos - startNanos) / 1e6);
    }

    static String seconds(long nanos) {
        return CommandProbe.seconds(Duration.ofNanos(nanos));
    }
}
