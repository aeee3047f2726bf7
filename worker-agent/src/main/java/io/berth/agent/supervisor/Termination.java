package io.berth.agent.supervisor;

import io.berth.agent.os.Signal;
import io.berth.agent.runtime.ServiceProcess;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Graceful termination of one service's process group: first the service's own way to stop, if it has one
 * (a prototype's {@code down}), then SIGTERM to whatever is left of the group; the group has the grace period,
 * counted from the start, to disappear (the leader and every child); whatever is left then gets SIGKILL.
 */
final class Termination {
    private static final System.Logger LOG = System.getLogger(Termination.class.getName());
    private static final long GROUP_POLL_MS = 10;
    private static final long KILL_WAIT_SECONDS = 10;

    /**
     * How it ended: {@code signal} the polite stop's signal (SIGTERM, or the container's STOPSIGNAL), SIGKILL or null;
     * exit code of the leader (null if unknown).
     */
    record Result(Signal signal, long durationMillis, Integer exitCode) {
        /** The signal's name, {@code none} when none was needed. */
        String reportedSignal() {
            return Signal.reported(signal);
        }
    }

    private final Vertx vertx;
    private final ServiceProcess process;
    private final long graceNanos;
    private final String service;
    private long t0;
    private long leaderExitNanos = -1;

    private Termination(Vertx vertx, String service, ServiceProcess process, Duration grace) {
        this.vertx = vertx;
        this.service = service;
        this.process = process;
        this.graceNanos = Math.max(0, grace.toNanos());
    }

    /** Must be called on the supervisor's context. */
    static Future<Result> terminate(Vertx vertx, String service, ServiceProcess process, Duration grace) {
        return new Termination(vertx, service, process, grace).run();
    }

    private Future<Result> run() {
        t0 = System.nanoTime();
        process.exit().onComplete(ar -> {
            if (leaderExitNanos < 0) {
                leaderExitNanos = System.nanoTime();
            }
        });
        if (!process.isAlive()) {
            // It ended by itself; children it left in its group, and what its prototype's down would clean up
            // (things up started outside its process tree), still must not outlive the task.
            return process.requestStop(Duration.ofNanos(graceNanos)).transform(ignored -> process.anyAlive())
                    .compose(left -> {
                        if (!left) {
                            return Future.succeededFuture(new Result(null, 0, process.exitCode()));
                        }
                        LOG.log(Level.INFO, "service {0}: leader gone, killing what is left of its process group",
                                service);
                        return process.signalGroup(Signal.SIGKILL).map(v -> new Result(null, 0, process.exitCode()));
                    });
        }
        return process.requestStop(Duration.ofNanos(graceNanos))
                // what the request left, if anything, gets SIGTERM (a live leader needs no /proc scan)
                .transform(ignored -> process.isAlive() ? Future.succeededFuture(true) : process.anyAlive())
                .compose(alive -> alive ? process.signalGroup(Signal.SIGTERM) : Future.succeededFuture(false))
                .compose(sent -> leaderExitWithin(graceNanos - (System.nanoTime() - t0)))
                .compose(exited -> exited ? groupGoneWithin() : Future.succeededFuture(false))
                .compose(gone -> gone ? Future.succeededFuture(result(process.stopSignal())) : kill());
    }

    private Future<Boolean> leaderExitWithin(long nanos) {
        Promise<Boolean> p = Promise.promise();
        long timer = vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos)), id -> p.tryComplete(false));
        process.exit().onComplete(ar -> {
            vertx.cancelTimer(timer);
            p.tryComplete(true);
        });
        return p.future();
    }

    /** After the leader exited: wait for its children, until the grace period ends. */
    private Future<Boolean> groupGoneWithin() {
        return process.anyAlive().compose(alive -> {
            if (!alive) {
                return Future.succeededFuture(true);
            }
            if (System.nanoTime() - t0 >= graceNanos) {
                return Future.succeededFuture(false);
            }
            Promise<Void> later = Promise.promise();
            vertx.setTimer(GROUP_POLL_MS, id -> later.complete());
            return later.future().compose(v -> groupGoneWithin());
        });
    }

    private Future<Result> kill() {
        return process.signalGroup(Signal.SIGKILL)
                .compose(sent -> process.exit().timeout(KILL_WAIT_SECONDS, TimeUnit.SECONDS))
                .onSuccess(code -> leaderExitNanos = System.nanoTime())
                .compose(code -> groupGoneAfterKill(System.nanoTime() + TimeUnit.SECONDS.toNanos(KILL_WAIT_SECONDS)))
                .recover(e -> Future.failedFuture("service '" + service + "' (pid " + process.launched().pid()
                        + ") did not die " + KILL_WAIT_SECONDS + " s after SIGKILL"))
                .map(code -> result(Signal.SIGKILL));
    }

    /** SIGKILL is asynchronous: wait until the last member of the group is gone before reporting. */
    private Future<Void> groupGoneAfterKill(long deadlineNanos) {
        return process.anyAlive().compose(alive -> {
            if (!alive) {
                return Future.succeededFuture();
            }
            if (System.nanoTime() > deadlineNanos) {
                return Future.failedFuture("processes of service '" + service + "' survived SIGKILL");
            }
            Promise<Void> later = Promise.promise();
            vertx.setTimer(GROUP_POLL_MS, id -> later.complete());
            return later.future().compose(v -> groupGoneAfterKill(deadlineNanos));
        });
    }

    /**
     * Duration: from the start (the stop request, else SIGTERM) until the service process was seen to exit (its
     * group then verified empty).
     */
    private Result result(Signal signal) {
        long end = leaderExitNanos >= 0 ? leaderExitNanos : System.nanoTime();
        return new Result(signal, TimeUnit.NANOSECONDS.toMillis(end - t0), process.exitCode());
    }
}
