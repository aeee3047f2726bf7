package io.berth.agent.runtime;

import io.berth.agent.logs.ServiceLog;
import io.berth.agent.os.ProcessTable;
import io.berth.agent.os.Signals;
import io.vertx.core.Context;
import io.vertx.core.Future;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A service running as a local process, leader of its own process group. Runtimes that spawn the process
 * themselves (the prototype runtime) wrap one of these.
 */
public final class LocalServiceProcess implements ServiceProcess {
    private static final long GROUP_WAIT_NANOS = 500_000_000L;
    private final Context context;
    private final Process process;
    private final long startedAtMillis;
    private final long startedAtNanos;
    private final ServiceLog log;
    private final ExecContext execContext;
    private final ServiceWorkspace workspace;
    private final Future<Integer> exit;
    private final Map<Long, ProcessHandle> descendants = new ConcurrentHashMap<>();
    private Future<Void> cleanup;

    /** @param workspace removed by {@link #cleanup()} */
    public LocalServiceProcess(Context context, Process process, long startedAtMillis, long startedAtNanos, ServiceLog log,
                               ExecContext execContext, ServiceWorkspace workspace) {
        this.context = context;
        this.process = process;
        this.startedAtMillis = startedAtMillis;
        this.startedAtNanos = startedAtNanos;
        this.log = log;
        this.execContext = execContext;
        this.workspace = workspace;
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
    public Future<Boolean> signalGroup(String signal) {
        return context.executeBlocking(() -> {
            // remember the tree while the leader still links it: once it dies its children move to init
            process.descendants().forEach(h -> descendants.put(h.pid(), h));
            boolean sent = awaitGroupLeader() ? Signals.group(process.pid(), signal)
                    : Signals.process(process.pid(), signal);
            if (signal.equals("SIGKILL") || signal.equals("KILL")) {
                descendants.values().forEach(ProcessHandle::destroyForcibly); // handles know their start time: no pid reuse
            }
            return sent;
        }, false);
    }

    /**
     * The launch wrappers call setsid() a millisecond or two after spawn; a signal sent before that
     * would miss the group. Blocking, bounded.
     */
    private boolean awaitGroupLeader() throws InterruptedException {
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
    public Future<Boolean> anyAlive() {
        return context.executeBlocking(() -> process.isAlive()
                || !ProcessTable.groupMembers(process.pid()).isEmpty()
                || descendants.values().stream().anyMatch(h -> h.isAlive() && ProcessTable.isLive(h.pid())), false);
    }

    @Override
    public ServiceLog log() {
        return log;
    }

    @Override
    public ExecContext execContext() {
        return execContext;
    }

    @Override
    public synchronized Future<Void> cleanup() {
        if (cleanup == null) {
            cleanup = context.executeBlocking(() -> {
                workspace.remove();
                return null;
            }, false);
        }
        return cleanup;
    }

    @Override
    public String toString() {
        return "pid " + pid();
    }
}
