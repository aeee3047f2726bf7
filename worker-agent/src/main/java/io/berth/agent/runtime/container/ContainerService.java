package io.berth.agent.runtime.container;

import io.berth.agent.os.Signal;
import io.berth.agent.logs.ServiceLog;
import io.berth.agent.os.Exec;
import io.berth.agent.os.ProcessTable;
import io.berth.agent.runtime.ExecContext;
import io.berth.agent.runtime.ServiceExec;
import io.berth.agent.runtime.ServiceProcess;
import io.berth.events.config.RunSpec;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;

/**
 * A service running as a container. Its pid is the container's init process as the host sees it (so the
 * port probe reads the task namespace's socket table through it); it exits when the engine says so;
 * signals go through the engine; its output is copied from the engine's log stream into the service's log;
 * probe commands run inside it (exec). Every future it hands out completes on the supervisor's context.
 */
final class ContainerService implements ServiceProcess, ServiceExec {
    private static final System.Logger LOG = System.getLogger(ContainerService.class.getName());
    private static final long EXIT_POLL_MS = 500;
    private static final long PID_POLL_MS = 5;

    private final Vertx vertx;
    private final EngineClient engine;
    private final Context context;
    private final String id;
    private final String name;
    private final long pid;
    private final Launched launched;
    private final Duration grace;
    private final Signal stopSignal;
    private final Promise<Integer> exit = Promise.promise();
    private final Future<Integer> exitOnContext;
    private final java.util.concurrent.atomic.AtomicBoolean exitSeen = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile boolean inspecting;
    private volatile long pidWatch = -1;
    private final ContainerExec execs;
    private final ContainerLogCopy logCopy;
    private Future<Void> cleanup;

    ContainerService(Vertx vertx, EngineClient engine, Context context, String id, String name, long pid,
                     long startedAtMillis, long startedAtNanos, ServiceLog log, ExecContext execContext, Duration grace,
                     Signal stopSignal) {
        this.vertx = vertx;
        this.engine = engine;
        this.context = context;
        this.id = id;
        this.name = name;
        this.pid = pid;
        this.launched = new Launched(pid, startedAtMillis, startedAtNanos, log, execContext);
        this.grace = grace;
        this.stopSignal = stopSignal;
        this.exitOnContext = onContext(exit.future());
        this.execs = new ContainerExec(engine, id);
        this.logCopy = new ContainerLogCopy(vertx, engine, id, name, log);
    }

    /** Container id. */
    String id() {
        return id;
    }

    /** Starts copying its output into its log and waiting for it to stop. */
    void watch() {
        watch(null);
    }

    /**
     * The same, for a container taken over from a crashed agent: its output after {@code logSince} (the last write
     * of the dead agent to its log) is appended to its log.
     */
    void watch(java.time.Instant logSince) {
        logCopy.start(logSince);
        engine.await(id)
                .recover(e -> {
                    LOG.log(Level.WARNING, "container {0}: waiting for it failed ({1}); polling instead", name,
                            e.getMessage());
                    return pollExit();
                })
                .onComplete(ar -> exited(ar.succeeded() && ar.result() != null ? ar.result() : -1));
    }

    private void exited(int code) {
        if (!exitSeen.compareAndSet(false, true)) {
            return;
        }
        vertx.cancelTimer(pidWatch);
        // the exit is reported with its last words in the log; while it is being stopped, a moment's quiet
        // will do (the stop is timed, and the container is only removed once its log stream ended)
        Future<Void> drained = pidWatch >= 0 ? logCopy.quietAfter(System.nanoTime()) : logCopy.ended();
        drained.onComplete(v -> exit.tryComplete(code));
    }

    /**
     * While it is being stopped: an engine notices an exit only when it next polls (podman: every 250 ms), so
     * the agent watches the container's init process itself and, once it is gone, asks the engine (whose
     * inspect reads the exit status at once).
     */
    private void watchPidWhileStopping() {
        if (pidWatch >= 0 || pid <= 1) {
            return;
        }
        long ticks = ProcessTable.startTicks(pid);
        pidWatch = vertx.setPeriodic(PID_POLL_MS, t -> {
            if (exitSeen.get() || inspecting || (ProcessTable.startTicks(pid) == ticks && ProcessTable.isLive(pid))) {
                return;
            }
            inspecting = true;
            engine.inspect(id).onComplete(ar -> {
                inspecting = false;
                var state = ar.succeeded() ? ar.result().getJsonObject("State") : null;
                if (state != null && !state.getBoolean("Running", true)) {
                    exited(state.getInteger("ExitCode", -1));
                }
            });
        });
    }

    private Future<Integer> pollExit() {
        if (exitSeen.get() || cleanup != null) {
            return Future.succeededFuture(-1); // already known, or removed (or being removed) meanwhile
        }
        return engine.inspect(id).compose(info -> {
            var state = info.getJsonObject("State");
            if (state != null && !state.getBoolean("Running", false)) {
                return Future.succeededFuture(state.getInteger("ExitCode", -1));
            }
            Promise<Void> later = Promise.promise();
            vertx.setTimer(EXIT_POLL_MS, t -> later.complete());
            return later.future().compose(v -> pollExit());
        }, e -> EngineException.isNotFound(e) ? Future.succeededFuture(-1) : pollLater());
    }

    private Future<Integer> pollLater() {
        Promise<Void> later = Promise.promise();
        vertx.setTimer(EXIT_POLL_MS, t -> later.complete());
        return later.future().compose(v -> pollExit());
    }

    @Override
    public Launched launched() {
        return launched;
    }

    @Override
    public Future<Integer> exit() {
        return exitOnContext;
    }

    /**
     * SIGTERM: the engine's stop, which sends the image's own stop signal (SIGTERM unless the image says
     * otherwise) and would SIGKILL by itself a second after the grace period — should this agent die meanwhile.
     * Other signals (SIGKILL): the engine's kill. Completes once the request is sent, not when the engine
     * answers (podman answers a kill only after its next look at the container, hundreds of milliseconds
     * later): the grace period, the SIGKILL and noticing the exit are the caller's.
     */
    @Override
    public Future<Boolean> signalGroup(Signal signal) {
        if (!isAlive()) {
            return onContext(Future.succeededFuture(false));
        }
        watchPidWhileStopping();
        Future<Void> sent = signal == Signal.SIGTERM ? engine.stop(id, EngineClient.ceilSeconds(grace) + 1)
                : engine.kill(id, signal.name());
        sent.onFailure(e -> {
            if (!exitSeen.get()) { // once it exited, the engine refusing to signal it is no news
                LOG.log(Level.WARNING, "container {0}: {1} failed: {2}", name, signal, e.getMessage());
            }
        });
        return onContext(Future.succeededFuture(true));
    }

    @Override
    public Signal stopSignal() {
        return stopSignal;
    }

    /**
     * The signal the engine's stop sends to the container described by {@code inspected} (its {@code Config.StopSignal},
     * the image's {@code STOPSIGNAL} unless the container overrides it); SIGTERM when it says nothing or names
     * no standard signal.
     */
    static Signal stopSignalOf(io.vertx.core.json.JsonObject inspected) {
        Object raw = inspected.getJsonObject("Config", new io.vertx.core.json.JsonObject()).getValue("StopSignal");
        return Signal.fromEngine(raw == null ? null : raw.toString()).orElse(Signal.SIGTERM);
    }

    /** When the container's init exits, the kernel kills the rest of its pid namespace: nothing outlives it. */
    @Override
    public Future<Boolean> anyAlive() {
        return onContext(Future.succeededFuture(isAlive()));
    }

    @Override
    public Exec.Result exec(RunSpec run, Duration timeout) throws IOException {
        return execs.run(run, timeout);
    }

    @Override
    public void abortExec() {
        execs.close();
    }

    /**
     * Removes the container (killing it if it still runs) with its anonymous volumes, once its log stream
     * ended (at most {@value ContainerLogCopy#DRAIN_MS} ms after it stopped); idempotent.
     */
    @Override
    public synchronized Future<Void> cleanup() {
        if (cleanup == null) {
            execs.close();
            // its last log lines may still be on their way: the engine ends the stream once it saw the exit
            Future<Void> drained = isAlive() ? Future.succeededFuture() : logCopy.ended();
            cleanup = onContext(drained.compose(v -> engine.remove(id))
                    .recover(e -> Future.failedFuture("cannot remove container " + name + ": " + e.getMessage())));
        }
        return cleanup;
    }

    private <T> Future<T> onContext(Future<T> f) {
        Promise<T> p = Promise.promise();
        f.onComplete(ar -> context.runOnContext(v -> p.handle(ar)));
        return p.future();
    }

    @Override
    public String toString() {
        return "container " + name + " (pid " + pid + ")";
    }
}
