package io.berth.agent.runtime;

import io.berth.agent.sandbox.Relay;
import io.vertx.core.Context;
import io.vertx.core.Future;

import java.io.IOException;

/** A service this agent launched: its launcher's relay is a child of the launch server, which reports its exit code. */
public final class LocalServiceProcess extends ProcessGroupService {
    private final Relay relay;
    private final long startedAtMillis;
    private final long startedAtNanos;
    private final Future<Integer> exit;

    /** @param setup removed by {@link #cleanup()} */
    public LocalServiceProcess(Context context, Relay relay, long startedAtMillis, long startedAtNanos,
                               ServiceSetup.Prepared setup) {
        super(context, setup);
        this.relay = relay;
        this.startedAtMillis = startedAtMillis;
        this.startedAtNanos = startedAtNanos;
        this.exit = Future.fromCompletionStage(relay.exit(), context);
    }

    @Override
    public long pid() {
        return relay.pid();
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
        return relay.exit().getNow(null);
    }

    @Override
    public boolean isAlive() {
        return relay.isAlive();
    }

    @Override
    protected boolean signalLauncher(boolean kill) throws IOException {
        return relay.signal(kill);
    }

    @Override
    public String toString() {
        return "pid " + pid();
    }
}
