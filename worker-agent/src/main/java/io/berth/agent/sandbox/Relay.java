package io.berth.agent.sandbox;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;

/**
 * A program's launcher (its relay), forked by the launch server: SIGTERM to it reaches the program's process group,
 * SIGKILL takes its whole sandbox along, and its exit means every process of the program is gone.
 */
public final class Relay {
    private final LaunchServer server;
    private final long pid;
    private final CompletableFuture<Integer> exit;

    Relay(LaunchServer server, LaunchServer.Started started) {
        this.server = server;
        this.pid = started.pid();
        this.exit = started.exit();
    }

    public long pid() {
        return pid;
    }

    /** Completes with its exit status (128+N when killed by signal N; -1 if the server that knew it died). */
    public CompletableFuture<Integer> exit() {
        return exit;
    }

    public boolean isAlive() {
        return !exit.isDone();
    }

    /** SIGTERM, or SIGKILL ({@code kill}); false if it is gone. */
    public boolean signal(boolean kill) throws IOException {
        if (!isAlive()) {
            return false;
        }
        if (server.alive()) {
            return server.signal(pid, kill ? 9 : 15);
        }
        // its server died, and with it what it knew: signal the pid as a re-attached agent would
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                .map(h -> kill ? h.destroyForcibly() : h.destroy()).orElse(false);
    }
}
