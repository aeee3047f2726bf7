package io.berth.agent.runtime;

import io.berth.agent.os.Exec;
import io.berth.events.config.RunSpec;

import java.io.IOException;
import java.time.Duration;

/**
 * A service whose commands (its startup probe's {@code run}) execute inside it — a container, through the
 * engine's exec API — instead of on the host in its {@link ExecContext}.
 */
public interface ServiceExec {

    /**
     * Runs {@code run} inside the service and waits for it, at most {@code timeout} (then it is killed and the
     * result says it timed out). Blocking: call it from a worker thread.
     */
    Exec.Result exec(RunSpec run, Duration timeout) throws IOException;

    /** Kills a command in flight, if any. */
    default void abortExec() {}
}
