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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A prototype-based service: its {@code up} process is the service. If the prototype supports {@code down},
 * stopping it first sends {@code down} and waits for it, never longer than it is given.
 */
final class PrototypeServiceProcess implements ServiceProcess {
    private static final System.Logger LOG = System.getLogger(PrototypeServiceProcess.class.getName());
    static final String DOWN = "down";

    private final Context context;
    private final String service;
    private final LocalServiceProcess up;
    private final MessageCommand messages;
    private final PrototypeInfo info;
    private final MessageFiles files;
    private Future<Void> stopRequest;
    private Future<Void> cleanup;

    PrototypeServiceProcess(Context context, String service, LocalServiceProcess up, MessageCommand messages,
                            PrototypeInfo info, MessageFiles files) {
        this.context = context;
        this.service = service;
        this.up = up;
        this.messages = messages;
        this.info = info;
        this.files = files;
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
        MessageCommand sender = up.isAlive() ? messages.entering(up.launched().pid()) : messages;
        return context.executeBlocking(() -> sender.start(DOWN), false).compose(started -> {
            Relay relay = started.relay();
            Promise<Void> done = Promise.promise();
            AtomicBoolean killed = new AtomicBoolean();
            long timer = context.owner().setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())),
                    id -> {
                        killed.set(true);
                        LOG.log(Level.WARNING, "service {0}: {1} did not finish down within {2} ms; killing it",
                                service, messages.prototype(), within.toMillis());
                        try {
                            relay.signal(true); // its launcher: everything down started goes with it
                        } catch (IOException e) {
                            // the launch server is gone, and down with it
                        }
                        done.tryComplete();
                    });
            Future.fromCompletionStage(relay.exit(), context).onComplete(ar -> {
                context.owner().cancelTimer(timer);
                if (ar.succeeded() && ar.result() != 0 && !killed.get()) {
                    LOG.log(Level.WARNING, "service {0}: down exited with code {1}; stopping it with signals",
                            service, ar.result());
                }
                done.tryComplete();
            });
            return done.future();
        }).recover(e -> {
            LOG.log(Level.WARNING, "service {0}: cannot send down to {1}: {2}", service, messages.prototype(),
                    e.getMessage());
            return Future.succeededFuture();
        });
    }

    @Override
    public synchronized Future<Void> cleanup() {
        if (cleanup == null) {
            cleanup = up.cleanup().transform(ar -> context.<Void>executeBlocking(() -> {
                files.remove();
                return null;
            }, false).compose(v -> ar.succeeded() ? Future.succeededFuture() : Future.failedFuture(ar.cause())));
        }
        return cleanup;
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
