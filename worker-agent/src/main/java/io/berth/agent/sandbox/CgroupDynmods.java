package io.berth.agent.sandbox;

import io.berth.agent.os.Exec;
import io.berth.agent.os.Mounts;
import io.berth.agent.os.Tools;
import io.berth.agent.os.Users;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The cgroup v2 mount option {@code favordynmods}, which a root agent sets at start unless the operator says
 * {@value #ENV}{@code =off}. A service's program joins its cgroups before it execs, and without the option the kernel
 * makes a cgroup migration wait for an RCU grace period unless another migration happened just before: ~8 ms on the
 * benchmark machine, so a worker starting fewer than ~50 services a second waited that long for each start. With it a
 * migration takes a fraction of a millisecond. It is the host's setting (every process's fork and exit pays a little
 * for it, and kernels with the per-thread-group lock, 6.18 on, keep that lock until the next boot once it was set),
 * so the agent says what it did, and the operator may keep the host as it is. Never unset by the agent: another
 * agent of the host may rely on it.
 */
public final class CgroupDynmods {
    public static final String ENV = "BERTH_CGROUP_FAVOR_DYNMODS";
    static final String OPTION = "favordynmods";
    private static final Path FEATURES = Path.of("/sys/kernel/cgroup/features");

    private CgroupDynmods() {}

    /** Whether the operator wants it ({@value #ENV}: {@code on}, the default, or {@code off}). */
    public static boolean wantedBy(Map<String, String> env) {
        String value = env.getOrDefault(ENV, "").strip();
        if (value.isEmpty() || value.equalsIgnoreCase("on")) {
            return true;
        }
        if (value.equalsIgnoreCase("off")) {
            return false;
        }
        throw new IllegalArgumentException(ENV + " must be 'on' (the default: the agent sets favordynmods on the "
                + "host's cgroup v2 mount) or 'off' (it leaves the mount as it is): " + value);
    }

    /** Sets the option on the host's cgroup v2 mount if {@code wanted} and it is not set yet. Blocking; for the log. */
    public static String favor(boolean wanted) throws IOException {
        if (!wanted) {
            return "cgroup migrations as the host has them (" + ENV + "=off)";
        }
        if (!Users.agentIsRoot()) {
            return "cgroup migrations as the host has them (the agent is not root)";
        }
        Mounts.Mount v2 = Mounts.firstOfType("cgroup2");
        if (v2 == null) {
            return "cgroup migrations as the host has them (no cgroup v2 mount)";
        }
        if (v2.superOptions().contains(OPTION)) {
            return "cgroup v2 at " + v2.mountPoint() + " favors dynamic changes (" + OPTION + ")";
        }
        if (!Files.isReadable(FEATURES) || !Files.readAllLines(FEATURES).contains(OPTION)) {
            return "cgroup migrations as the host has them (the kernel has no " + OPTION + ")";
        }
        // mount(8) keeps the mount's other options (nsdelegate, nosuid, ...): a bare remount would drop them
        Exec.Result r = Exec.run(List.of(Tools.MOUNT, "-o", "remount," + OPTION, v2.mountPoint().toString()),
                Duration.ofSeconds(10));
        if (!r.ok()) {
            return "cgroup migrations as the host has them: cannot set " + OPTION + " on " + v2.mountPoint() + " ("
                    + r.oneLine() + ")";
        }
        return "set " + OPTION + " on the host's cgroup v2 mount at " + v2.mountPoint() + ": a service joins its "
                + "cgroups without waiting for an RCU grace period (" + ENV + "=off leaves the mount as it is)";
    }
}
