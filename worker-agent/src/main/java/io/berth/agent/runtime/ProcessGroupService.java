package io.berth.agent.runtime;

import io.berth.agent.os.Signal;
import io.vertx.core.Context;
import io.vertx.core.Future;

import java.io.IOException;

/**
 * A service that runs on this machine through {@code berth-launch}: the pid the agent knows is the launcher's, whose
 * exit means every process of the service is gone (its PID namespace goes with it). SIGTERM to the launcher reaches
 * the service's process group; SIGKILL to it kills the whole sandbox; the service's cgroup is the second word on
 * what is left. No {@code /proc} is read, nothing is spawned to signal. Subclasses say how the launcher is known (a
 * child of this JVM, or one a crashed agent launched).
 */
abstract class ProcessGroupService implements ServiceProcess {
    protected final Context context;
    private final ServiceSetup.Prepared setup;
    private final Launched launched;
    private Future<Void> cleanup;

    /**
     * @param pid   its launcher's
     * @param setup removed by {@link #cleanup()}
     */
    ProcessGroupService(Context context, ServiceSetup.Prepared setup, long pid, long startedAtMillis,
                        long startedAtNanos) {
        this.context = context;
        this.setup = setup;
        ExecContext exec = setup.exec();
        // programs beside it (command probes) enter its sandbox
        this.launched = new Launched(pid, startedAtMillis, startedAtNanos, setup.log(),
                new ExecContext(exec.sandbox().entering(pid), exec.workDir(), exec.env()));
    }

    @Override
    public Launched launched() {
        return launched;
    }

    /** Sends SIGKILL ({@code kill}) or SIGTERM to the launcher; false if it is gone. */
    protected abstract boolean signalLauncher(boolean kill) throws IOException;

    @Override
    public Future<Boolean> signalGroup(Signal signal) {
        return context.executeBlocking(() -> {
            boolean kill = switch (signal) {
                case SIGTERM -> false;
                case SIGKILL -> true;
                default -> throw new IllegalArgumentException("only SIGTERM and SIGKILL are sent to services: " + signal);
            };
            boolean sent = signalLauncher(kill);
            if (kill) {
                setup.cgroup().kill(); // anything left behind a launcher that is gone
            }
            return sent;
        }, false);
    }

    @Override
    public Future<Boolean> anyAlive() {
        return context.executeBlocking(() -> isAlive() || setup.cgroup().populated(), false);
    }

    /** CPU time the service's processes used so far (its cgroup's), in nanoseconds. */
    public long cpuNanos() {
        return setup.cgroup().cpuNanos();
    }

    @Override
    public synchronized Future<Void> cleanup() {
        if (cleanup == null) {
            cleanup = context.executeBlocking(() -> {
                setup.remove();
                return null;
            }, false);
        }
        return cleanup;
    }
}
