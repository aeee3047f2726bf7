package io.berth.agent.runtime;

import io.berth.agent.logs.ServiceLog;
import io.berth.agent.os.ProcessTable;
import io.berth.agent.os.Signals;
import io.vertx.core.Context;
import io.vertx.core.Future;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A service that is a process on this machine, leader of its own process group: signalled as a group, alive while
 * any of its processes is, its log and scratch directory its own. Subclasses say how its leader is known (a child of
 * this JVM, or one a crashed agent launched).
 */
abstract class ProcessGroupService implements ServiceProcess {
    protected final Context context;
    private final ServiceLog log;
    private final ExecContext execContext;
    private final ServiceWorkspace workspace;
    /** Descendants seen when it was signalled: once the leader dies they move to init, out of its tree. */
    private final Map<Long, ProcessHandle> descendants = new ConcurrentHashMap<>();
    private Future<Void> cleanup;

    /** @param workspace removed by {@link #cleanup()} */
    ProcessGroupService(Context context, ServiceLog log, ExecContext execContext, ServiceWorkspace workspace) {
        this.context = context;
        this.log = log;
        this.execContext = execContext;
        this.workspace = workspace;
    }

    /** The leader, while this JVM can see it. */
    protected abstract Optional<ProcessHandle> leader();

    /** Whether signals go to the leader's group (true) or, its group not formed yet, to the leader alone. Blocking. */
    protected boolean leadsItsGroup() throws InterruptedException {
        return true;
    }

    @Override
    public Future<Boolean> signalGroup(String signal) {
        return context.executeBlocking(() -> {
            // remember the tree while the leader still links it
            leader().ifPresent(l -> l.descendants().forEach(h -> descendants.put(h.pid(), h)));
            boolean sent = leadsItsGroup() ? Signals.group(pid(), signal) : Signals.process(pid(), signal);
            if (signal.equals("SIGKILL") || signal.equals("KILL")) {
                descendants.values().forEach(ProcessHandle::destroyForcibly); // handles know their start: no pid reuse
            }
            return sent;
        }, false);
    }

    @Override
    public Future<Boolean> anyAlive() {
        return context.executeBlocking(() -> isAlive()
                || !ProcessTable.groupMembers(pid()).isEmpty()
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
}
