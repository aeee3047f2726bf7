package io.berth.agent.supervisor;

import io.berth.agent.os.Users;
import io.berth.events.payload.NetworkSpec;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Agent-wide settings.
 *
 * @param workerName         name this agent reports to the orchestrator
 * @param stateDir           root of the agent's state: per-service scratch dirs ({@code tasks/}) and logs ({@code logs/})
 * @param defaultUser        user a service runs as when its config names none
 * @param allowRoot          whether a service may run as root (uid 0)
 * @param defaultNetworkMode {@code namespace} or {@code host}, used when a task names no mode
 * @param capacity           maximum number of services active at once (0 = unlimited)
 */
public record AgentSettings(String workerName, Path stateDir, String defaultUser, boolean allowRoot,
                            String defaultNetworkMode, int capacity) {

    public AgentSettings {
        Objects.requireNonNull(workerName, "workerName");
        Objects.requireNonNull(stateDir, "stateDir");
        defaultUser = defaultUser == null || defaultUser.isBlank() ? "nobody" : defaultUser;
        defaultNetworkMode = defaultNetworkMode == null ? NetworkSpec.NAMESPACE : defaultNetworkMode;
        stateDir = stateDir.toAbsolutePath().normalize();
    }

    /**
     * Defaults: state under {@code /var/lib/berth/agents/WORKER} (root) or the temp dir (otherwise), services as
     * {@code nobody}, never as root, one network namespace per task when the agent is root (host mode otherwise).
     */
    public static AgentSettings defaults(String worker) {
        boolean root = Users.agentIsRoot();
        // One state directory per worker name: an agent claims it with a lock and reaps it (and those
        // of dead sibling agents) on start.
        Path agents = root ? Path.of("/var/lib/berth/agents")
                : Path.of(System.getProperty("java.io.tmpdir"), "berth-" + System.getProperty("user.name"), "agents");
        Path state = agents.resolve(worker.replaceAll("[^A-Za-z0-9_.-]", "_"));
        return new AgentSettings(worker, state, "nobody", false, root ? NetworkSpec.NAMESPACE : NetworkSpec.HOST, 32);
    }

    public AgentSettings withStateDir(Path dir) {
        return new AgentSettings(workerName, dir, defaultUser, allowRoot, defaultNetworkMode, capacity);
    }

    public AgentSettings withDefaultNetworkMode(String mode) {
        return new AgentSettings(workerName, stateDir, defaultUser, allowRoot, mode, capacity);
    }

    public AgentSettings withCapacity(int max) {
        return new AgentSettings(workerName, stateDir, defaultUser, allowRoot, defaultNetworkMode, max);
    }
}
