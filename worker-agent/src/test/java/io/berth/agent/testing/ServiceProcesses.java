package io.berth.agent.testing;

import java.util.List;

/**
 * The processes of a service launched through {@code berth-launch}, whose pid (what a {@code starting} event says)
 * is its launcher's: the launcher's descendants — the sandbox's init, the service, and whatever it forked, double
 * forks and new sessions included (they stay in the PID namespace under init).
 */
public final class ServiceProcesses {
    private ServiceProcesses() {}

    /** Every live process of the service, launcher included; a handle knows its start, so no pid reuse fools it. */
    public static List<ProcessHandle> of(long launcherPid) {
        return ProcessHandle.of(launcherPid)
                .map(h -> java.util.stream.Stream.concat(java.util.stream.Stream.of(h), h.descendants()).toList())
                .orElse(List.of());
    }

    /** Those of {@code processes} still alive (a zombie is dead: it waits for its new parent to reap it). */
    public static List<ProcessHandle> alive(List<ProcessHandle> processes) {
        return processes.stream().filter(h -> h.isAlive() && io.berth.agent.os.ProcessTable.isLive(h.pid())).toList();
    }
}
