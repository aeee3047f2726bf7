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
    private final io.vertx.core.Promise<Integer> exit = io.vertx.core.Promise.promise();

    /** @param handle the running service; empty when it already exited */
    ReattachedProcess(Context context, long pid, long startTicks, Optional<ProcessHandle> handle,
                      ServiceSetup.Prepared setup) {
        this(context, pid, startTicks, handle, setup, startedAtMillis(handle));
    }

    private ReattachedProcess(Context context, long pid, long startTicks, Optional<ProcessHandle> handle,
                              ServiceSetup.Prepared setup, long startedAtMillis) {
        super(context, setup, pid, startedAtMillis, startedAtNanos(startedAtMillis));
        this.pid = pid;
        this.handle = handle;
        if (handle.isPresent()) {
            context.runOnContext(v -> context.owner().setPeriodic(EXIT_POLL_MS, id -> {
                if (!ProcessTable.isRunning(pid, startTicks)) {
                    context.owner().cancelTimer(id);
                    exit.tryComplete(UNKNOWN_EXIT_CODE);
                }
            }));
        } else {
            exit.complete(UNKNOWN_EXIT_CODE);
        }
    }

    /** When it started, as the kernel says; now if it is gone. */
    private static long startedAtMillis(Optional<ProcessHandle> handle) {
        return handle.flatMap(h -> h.info().startInstant()).map(Instant::toEpochMilli)
                .orElse(System.currentTimeMillis());
    }

    /** {@code startedAtMillis} on the {@link System#nanoTime()} scale. */
    private static long startedAtNanos(long startedAtMillis) {
        return System.nanoTime() - (System.currentTimeMillis() - startedAtMillis) * 1_000_000L;
    }

    @Override
    public Future<Integer> exit() {
        return exit.future();
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
