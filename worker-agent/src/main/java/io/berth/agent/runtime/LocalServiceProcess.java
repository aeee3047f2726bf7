package io.berth.agent.runtime;

import io.berth.agent.sandbox.Relay;
import io.vertx.core.Context;
import io.vertx.core.Future;

import java.io.IOException;

/** A service this agent launched: its launcher's relay is a child of the launch server, which reports its exit code. */
public final class LocalServiceProcess extends ProcessGroupService {
    private final Relay relay;
    private final Future<Integer> exit;

    /** @param setup removed by {@link #cleanup()} */
    public LocalServiceProcess(Context context, Relay relay, long startedAtMillis, long startedAtNanos,
                               ServiceSetup.Prepared setup) {
        super(context, setup, relay.pid(), startedAtMillis, startedAtNanos);
        this.relay = relay;
        this.exit = Future.fromCompletionStage(relay.exit(), context);
    }

    @Override
    public Future<Integer> exit() {
        return exit;
    }

    @Override
    protected boolean signalLauncher(boolean kill) throws IOException {
        return relay.signal(kill);
    }

    @Override
    public String toString() {
        return "pid " + relay.pid();
    }
}
