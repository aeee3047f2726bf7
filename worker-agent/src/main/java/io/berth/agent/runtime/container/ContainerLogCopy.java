package io.berth.agent.runtime.container;

import io.berth.agent.logs.ServiceLog;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * Copies a container's stdout and stderr from the engine's log stream into the service's log (O_APPEND, like a
 * process's own output), and says when the copy may count as complete after the container stopped.
 */
final class ContainerLogCopy {
    private static final System.Logger LOG = System.getLogger(ContainerLogCopy.class.getName());
    /** After the container stopped, how long its last log bytes may take to arrive. */
    static final long DRAIN_MS = 2_000;
    /** Log bytes that arrive this long apart belong to different moments; after the exit, it is the end. */
    private static final long QUIET_MS = 50;

    private final Vertx vertx;
    private final EngineClient engine;
    private final String id;
    private final String name;
    private final ServiceLog log;
    private volatile long lastBytesNanos;
    private Future<Void> streamEnded = Future.succeededFuture();

    ContainerLogCopy(Vertx vertx, EngineClient engine, String id, String name, ServiceLog log) {
        this.vertx = vertx;
        this.engine = engine;
        this.id = id;
        this.name = name;
        this.log = log;
    }

    /** Starts copying what the container wrote after {@code since} (null: from its start). */
    void start(Instant since) {
        FileChannel channel;
        try {
            channel = FileChannel.open(log.path(), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "container {0}: cannot open its log {1}: {2}", name, log.path(), e.getMessage());
            return;
        }
        // the stream is paused while a chunk is written, so writes never overlap and keep their order
        streamEnded = engine.followLogs(id, since, bytes -> vertx.<Void>executeBlocking(() -> {
                    lastBytesNanos = System.nanoTime();
                    var buf = ByteBuffer.wrap(bytes.getBytes());
                    while (buf.hasRemaining()) {
                        channel.write(buf);
                    }
                    return null;
                }, false))
                .onFailure(e -> LOG.log(Level.WARNING, "container {0}: log stream ended: {1}", name, e.getMessage()))
                .eventually(() -> {
                    try {
                        channel.close();
                    } catch (IOException ignored) {
                        // nothing was lost: every write completed before
                    }
                    return Future.succeededFuture();
                })
                .recover(e -> Future.succeededFuture());
    }

    /** The engine ended the log stream (it does once it saw the exit), or {@value #DRAIN_MS} ms passed. */
    Future<Void> ended() {
        return streamEnded.timeout(DRAIN_MS, TimeUnit.MILLISECONDS).recover(e -> Future.succeededFuture());
    }

    /**
     * After an exit at {@code exitNanos}: the log stream has ended, or has been quiet for a moment (an engine ends
     * the stream only when it next polls the container's state, hundreds of milliseconds later), or it is taking too
     * long.
     */
    Future<Void> quietAfter(long exitNanos) {
        Promise<Void> drained = Promise.promise();
        streamEnded.onComplete(v -> drained.tryComplete());
        long timer = vertx.setPeriodic(QUIET_MS / 2, t -> {
            long now = System.nanoTime();
            if (now - Math.max(lastBytesNanos, exitNanos) >= TimeUnit.MILLISECONDS.toNanos(QUIET_MS)
                    || now - exitNanos >= TimeUnit.MILLISECONDS.toNanos(DRAIN_MS)) {
                drained.tryComplete();
            }
        });
        return drained.future().onComplete(v -> vertx.cancelTimer(timer));
    }
}
