package io.berth.agent.runtime;

import io.berth.agent.logs.ServiceLog;
import io.berth.agent.os.ProcessTable;
import io.vertx.core.Context;
import io.vertx.core.Future;

import java.util.Optional;

/**
 * A service running as a local process, leader of its own process group. Runtimes that spawn the process
 * themselves (the prototype runtime) wrap one of these.
 */
public final class LocalServiceProcess extends ProcessGroupService {
    private static final long GROUP_WAIT_NANOS = 500_000_000L;
    private final Process process;
    private final long startedAtMillis;
    private final long startedAtNanos;
    private final Future<Integer> exit;

    /** @param workspace removed by {@link #cleanup()} */
    public LocalServiceProcess(Context context, Process process, long startedAtMillis, long startedAtNanos, ServiceLog log,
                               ExecContext execContext, ServiceWorkspace workspace) {
        super(context, log, execContext, workspace);
        this.process = process;
        this.startedAtMillis = startedAtMillis;
        this.startedAtNanos = startedAtNanos;
        this.exit = Future.fromCompletionStage(process.onExit(), context).map(Process::exitValue);
    }

    @Override
    public long pid() {
        return process.pid();
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
        return exit;
    }

    @Override
    public Integer exitCode() {
        return process.isAlive() ? null : process.exitValue();
    }

    @Override
    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    protected Optional<ProcessHandle> leader() {
        return Optional.of(process.toHandle());
    }

    /**
     * The launch wrappers call setsid() a millisecond or two after spawn; a signal sent before that
     * would miss the group. Blocking, bounded.
     */
    @Override
    protected boolean leadsItsGroup() throws InterruptedException {
        long deadline = System.nanoTime() + GROUP_WAIT_NANOS;
        while (process.isAlive()) {
            if (ProcessTable.processGroup(process.pid()) == process.pid()) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(1);
        }
        return true; // gone: its group (if any) is what is left to signal
    }

    @Override
    public String toString() {
        return "pid " + pid();
    }
}
