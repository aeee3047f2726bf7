package io.berth.agent.runtime.prototype;

import io.berth.agent.os.Signal;
import io.berth.agent.runtime.LocalServiceProcess;
import io.berth.agent.runtime.ServiceProcess;
import io.berth.agent.sandbox.Relay;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A prototype-based service: its {@code up} process is the service. If the prototype supports {@code down},
 * stopping it first sends {@code down} and waits for it, never longer than it is given.
 */
final class PrototypeServiceProcess implements ServiceProcess {
    private static final System.Logger LOG = System.getLogger(PrototypeServiceProcess.class.getName());
    static final String DOWN = "down";
    /** The exit code the launcher reports for a program killed by SIGKILL (128 + 9). */
    private static final int KILLED = 137;
    /** How long down killed by SIGKILL waits to learn whether up exited (which would be why). */
    private static final long UP_EXIT_WAIT_MS = 1000;

    private final Context context;
    private final String service;
    private final LocalServiceProcess up;
    private final MessageCommand messages;
    private final PrototypeInfo info;
    private final MessageFiles files;
    private final Supplier<Future<List<String>>> leftovers;
    private Future<Void> stopRequest;
    private Future<Void> cleanup;

    PrototypeServiceProcess(Context context, String service, LocalServiceProcess up, MessageCommand messages,
                            PrototypeInfo info, MessageFiles files, Supplier<Future<List<String>>> leftovers) {
        this.context = context;
        this.service = service;
        this.up = up;
        this.messages = messages;
        this.info = info;
        this.files = files;
        this.leftovers = leftovers;
    }

    @Override
    public synchronized Future<Void> requestStop(Duration within) {
        if (stopRequest == null) {
            // also after up exited by itself: down may have more to clean up than up's processes
            boolean down = info.supports(DOWN) && messages.prototype().has(DOWN);
            stopRequest = down ? down(within) : Future.succeededFuture();
        }
        return stopRequest;
    }

    /** Runs {@code down}; completes when it exited or, killing it, when {@code within} is over. Never fails. */
    private Future<Void> down(Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        // next to up's processes (its PID namespace), so down can stop them; on its own once up is gone
        boolean beside = up.isAlive();
        return send(beside ? messages.entering(up.launched().pid()) : messages, deadline).compose(code -> {
            if (!beside || code == null || code != KILLED) {
                return Future.succeededFuture(warnIfFailed(code));
            }
            // up's relay is the init of the namespace down entered: when up exits (as a stack does once down stopped
            // it), the kernel kills down with it, perhaps half-way (containers stopped, not removed). Down then runs
            // again on its own, to finish: prototypes' down is idempotent, as docker-compose down is. (Up's exit
            // may be reported just after down's.)
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            return up.exit().timeout(Math.max(1, Math.min(UP_EXIT_WAIT_MS, left)), TimeUnit.MILLISECONDS).transform(ar -> {
                if (ar.failed() || System.nanoTime() >= deadline) {
                    return Future.succeededFuture(warnIfFailed(code));
                }
                LOG.log(Level.INFO, "service {0}: up exited while down ran, which ended down too; sending down "
                        + "again on its own", service);
                return send(messages, deadline).map(this::warnIfFailed);
            });
        });
    }

    private Void warnIfFailed(Integer code) {
        if (code != null && code != 0) {
            LOG.log(Level.WARNING, "service {0}: down exited with code {1}; stopping it with signals", service, code);
        }
        return null;
    }

    /** One {@code down}: its exit code, or null when it was killed at {@code deadline} or could not start. */
    private Future<Integer> send(MessageCommand sender, long deadline) {
        return context.executeBlocking(() -> sender.start(DOWN), false).compose(started -> {
            Relay relay = started.relay();
            Promise<Integer> done = Promise.promise();
            long timer = context.owner().setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())),
                    id -> {
                        LOG.log(Level.WARNING, "service {0}: {1} did not finish down in time; killing it",
                                service, messages.prototype());
                        try {
                            relay.signal(true); // its launcher: everything down started goes with it
                        } catch (IOException e) {
                            // the launch server is gone, and down with it
                        }
                        done.tryComplete(null);
                    });
            Future.fromCompletionStage(relay.exit(), context).onComplete(ar -> {
                context.owner().cancelTimer(timer);
                done.tryComplete(ar.succeeded() ? ar.result() : null);
            });
            return done.future();
        }).recover(e -> {
            LOG.log(Level.WARNING, "service {0}: cannot send down to {1}: {2}", service, messages.prototype(),
                    e.getMessage());
            return Future.succeededFuture(null);
        });
    }

    @Override
    public synchronized Future<Void> cleanup() {
        if (cleanup == null) {
            cleanup = up.cleanup().transform(upDone -> removeLeftovers().transform(leftoversDone ->
                    context.<Void>executeBlocking(() -> {
                        files.remove();
                        return null;
                    }, false).compose(v -> upDone.failed() ? Future.<Void>failedFuture(upDone.cause())
                            : leftoversDone.failed() ? Future.<Void>failedFuture(leftoversDone.cause())
                            : Future.<Void>succeededFuture())));
        }
        return cleanup;
    }

    /** Containers the prototype started for this service and did not remove: they must not outlive the task. */
    private Future<Void> removeLeftovers() {
        return leftovers.get().transform(ar -> {
            if (ar.failed()) {
                return Future.failedFuture("cannot remove the containers " + messages.prototype() + " left: "
                        + ar.cause().getMessage());
            }
            if (!ar.result().isEmpty()) {
                LOG.log(Level.WARNING, "service {0}: {1} left containers behind; removed {2}", service,
                        messages.prototype(), String.join(", ", ar.result()));
            }
            return Future.succeededFuture();
        });
    }

    @Override
    public Launched launched() {
        return up.launched();
    }

    @Override
    public Future<Integer> exit() {
        return up.exit();
    }

    @Override
    public Future<Boolean> signalGroup(Signal signal) {
        return up.signalGroup(signal);
    }

    @Override
    public Future<Boolean> anyAlive() {
        return up.anyAlive();
    }

    @Override
    public String toString() {
        return messages.prototype() + " up, pid " + up.launched().pid();
    }
}
