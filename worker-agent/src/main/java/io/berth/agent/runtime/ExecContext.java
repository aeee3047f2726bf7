package io.berth.agent.runtime;

import io.berth.agent.os.ServiceUser;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where and as whom a service's commands run — shared by the service and its command probe, so a
 * probe sees exactly what the service sees.
 *
 * @param netns   network namespace path, or null for the host network
 * @param user    user to switch to, or null to keep the agent's user
 * @param workDir working directory
 * @param env     complete environment
 */
public record ExecContext(String netns, ServiceUser user, Path workDir, Map<String, String> env) {
    public ExecContext {
        env = Map.copyOf(env);
    }
}
