package io.berth.agent.runtime;

import io.berth.agent.sandbox.Sandbox;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where and as whom a service's commands run — shared by the service and its command probe (and a prototype's
 * messages), so a probe sees exactly what the service sees.
 *
 * @param sandbox the task's network, identity, cgroup and inputs
 * @param workDir working directory
 * @param env     complete environment
 */
public record ExecContext(Sandbox sandbox, Path workDir, Map<String, String> env) {
    public ExecContext {
        env = Map.copyOf(env);
    }

    /** The same, in network namespace {@code path} (null: the host network). */
    public ExecContext inNetwork(String path) {
        return new ExecContext(sandbox.inNetwork(path), workDir, env);
    }

    /** The same, with the host's temporary directories instead of its task's own. */
    public ExecContext withHostTmp() {
        return new ExecContext(sandbox.withHostTmp(), workDir, env);
    }

    /** The network namespace path, or null for the host network. */
    public String netns() {
        return sandbox.netns();
    }
}
