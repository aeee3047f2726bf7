package io.berth.agent.os;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/** Sends signals to process groups ({@code kill -s SIG -- -PGID}); Java can only signal single pids. */
public final class Signals {
    private Signals() {}

    /**
     * Signals every process of group {@code pgid}. Blocking (spawns {@code kill}).
     *
     * @param signal name without the SIG prefix, e.g. {@code TERM}, {@code KILL}
     * @return true if at least one process received it
     */
    public static boolean group(long pgid, String signal) {
        if (pgid <= 1) {
            throw new IllegalArgumentException("refusing to signal process group " + pgid);
        }
        return kill(signal, "-" + pgid);
    }

    /** Signals the single process {@code pid}. Blocking. */
    public static boolean process(long pid, String signal) {
        if (pid <= 1) {
            throw new IllegalArgumentException("refusing to signal process " + pid);
        }
        return kill(signal, Long.toString(pid));
    }

    private static boolean kill(String signal, String target) {
        String sig = signal.startsWith("SIG") ? signal.substring(3) : signal;
        try {
            return Exec.run(List.of(Tools.KILL, "-s", sig, "--", target), Duration.ofSeconds(5)).ok();
        } catch (IOException e) {
            return false;
        }
    }
}
