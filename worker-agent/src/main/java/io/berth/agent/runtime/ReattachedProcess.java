package io.berth.agent.runtime;

import io.berth.agent.os.ProcessTable;
import io.vertx.core.Context;
import io.vertx.core.Future;

import java.time.Instant;
import java.util.Optional;

/**
 * A service launched by an agent that crashed, taken over by its successor: its launcher is no child of this JVM —
 * its exit is seen, its exit code is not (the kernel gives that to its new parent).
 * Its exit is watched by reading its {@code /proc} entry every {@value #EXIT_POLL_MS} ms: {@link ProcessHandle#onExit}
 * polls a non-child at up to 5 s intervals, too slow for a graceful stop's grace period.
 */
final class ReattachedProcess extends ProcessGroupService {
    /** The exit code reported for a re-attached service, which only its parent could know. */
    static final int UNKNOWN_EXIT_CODE = -1;
    private static final long EXIT_POLL_MS = 20;

    private final long pid;
    private final Optional<ProcessHandle> handle;
    private final long startedAtMillis;
    private final long startedAtNanos;
    private final long startTicks;
    private final io.vertx.core.Promise<Integer> exit = io.vertx.core.Promise.promise();
    private volatile boolean alive;

    /** @param handle the running service; empty when it already exited */
    ReattachedProcess(Context context, long pid, long startTicks, Optional<ProcessHandle> handle,
                      ServiceSetup.Prepared setup) {
        super(context, setup);
        this.pid = pid;
        this.startTicks = startTicks;
        this.handle = handle;
        this.alive = handle.isPresent();
        long now = System.currentTimeMillis();
        this.startedAtMillis = handle.flatMap(h -> h.info().startInstant()).map(Instant::toEpochMilli).orElse(now);
        this.startedAtNanos = System.nanoTime() - (now - startedAtMillis) * 1_000_000L;
        if (alive) {
            context.runOnContext(v -> context.owner().setPeriodic(EXIT_POLL_MS, id -> {
                if (!ProcessTable.isRunning(pid, startTicks)) {
                    context.owner().cancelTimer(id);
                    alive = false;
                    exit.tryComplete(UNKNOWN_EXIT_CODE);
                }
            }));
        } else {
            exit.complete(UNKNOWN_EXIT_CODE);
        }
    }

    @Override
    public long pid() {
        return pid;
    }

    @Override
    public long startedAtMillis() {
        return startedAtMillis;
    }

    @Override
    public long startedAtNanos() {
        return startedAtNanos;
    }

    @Override
    public Future<Integer> exit() {
        return exit.future();
    }

    @Override
    public Integer exitCode() {
        return isAlive() ? null : UNKNOWN_EXIT_CODE;
    }

    @Override
    public boolean isAlive() {
        return alive && ProcessTable.isRunning(pid, startTicks);
    }

    @Override
    protected boolean signalLauncher(boolean kill) {
        // a handle knows its process's start: a dead or reused pid is not signalled through it
        return handle.filter(ProcessHandle::isAlive).map(h -> kill ? h.destroyForcibly() : h.destroy()).orElse(false);
    }

    @Override
    public String toString() {
        return "re-attached pid " + pid;
    }
}
