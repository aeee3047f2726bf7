package io.berth.agent.runtime;

import io.vertx.core.Context;
import io.vertx.core.Future;

import java.util.Optional;

/** A service this agent launched: its launcher is a child of this JVM, so its exit code is known. */
public final class LocalServiceProcess extends ProcessGroupService {
    private final Process process;
    private final long startedAtMillis;
    private final long startedAtNanos;
    private final Future<Integer> exit;

    /** @param setup removed by {@link #cleanup()} */
    public LocalServiceProcess(Context context, Process process, long startedAtMillis, long startedAtNanos,
                               ServiceSetup.Prepared setup) {
        super(context, setup);
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

    @Override
    public String toString() {
        return "pid " + pid();
    }
}
