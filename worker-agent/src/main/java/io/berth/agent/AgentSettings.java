package io.berth.agent;

import io.berth.agent.os.Users;
import io.berth.agent.sandbox.SandboxSettings;
import io.berth.events.payload.NetworkSpec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
 * @param prototypeDirs      where {@code type: NAME} is looked up, in order: the prototype is the directory
 *                           {@code NAME} in the first of them that has one; null = {@link #defaultPrototypeDirs()}
 * @param engineSocket       Unix socket of a Docker Engine API (docker's, or podman's {@code podman system service})
 *                           that runs container services; null = no container runtime on this agent
 * @param sandbox            what the operator grants tasks: uid range, host accounts, joinable namespaces, host
 *                           network, default limits
 */
public record AgentSettings(String workerName, Path stateDir, String defaultUser, boolean allowRoot,
                            String defaultNetworkMode, int capacity, List<Path> prototypeDirs, Path engineSocket,
                            SandboxSettings sandbox) {
    /** Where an installed Berth keeps prototypes; always searched, last. */
    public static final Path SYSTEM_PROTOTYPE_DIR = Path.of("/usr/local/lib/berth/prototypes");
    /** Colon-separated prototype directories searched before {@link #SYSTEM_PROTOTYPE_DIR}. */
    public static final String PROTOTYPE_PATH_ENV = "BERTH_PROTOTYPE_PATH";
    /** Same as {@link #PROTOTYPE_PATH_ENV}, for embedders and tests; wins over the environment variable. */
    public static final String PROTOTYPE_PATH_PROPERTY = "berth.prototype.path";
    /** Path of the container engine's socket, for the settings made without one ({@link #defaultEngineSocket()}). */
    public static final String ENGINE_SOCKET_ENV = "BERTH_ENGINE_SOCKET";
    /** Same as {@link #ENGINE_SOCKET_ENV}, for embedders and tests; wins over the environment variable. */
    public static final String ENGINE_SOCKET_PROPERTY = "berth.engine.socket";

    public AgentSettings {
        Objects.requireNonNull(workerName, "workerName");
        Objects.requireNonNull(stateDir, "stateDir");
        defaultUser = defaultUser == null || defaultUser.isBlank() ? "nobody" : defaultUser;
        defaultNetworkMode = defaultNetworkMode == null ? NetworkSpec.NAMESPACE : defaultNetworkMode;
        stateDir = stateDir.toAbsolutePath().normalize();
        prototypeDirs = (prototypeDirs == null ? defaultPrototypeDirs() : prototypeDirs).stream()
                .map(p -> p.toAbsolutePath().normalize()).distinct().toList();
        engineSocket = engineSocket == null ? null : engineSocket.toAbsolutePath().normalize();
        sandbox = sandbox == null ? SandboxSettings.fromEnvironment(System.getenv()) : sandbox;
    }

    /** With the operator's sandbox settings from the environment ({@link SandboxSettings#fromEnvironment}). */
    public AgentSettings(String workerName, Path stateDir, String defaultUser, boolean allowRoot,
                         String defaultNetworkMode, int capacity, List<Path> prototypeDirs, Path engineSocket) {
        this(workerName, stateDir, defaultUser, allowRoot, defaultNetworkMode, capacity, prototypeDirs, engineSocket,
                null);
    }

    /** With the default prototype directories and engine socket. */
    public AgentSettings(String workerName, Path stateDir, String defaultUser, boolean allowRoot,
                         String defaultNetworkMode, int capacity) {
        this(workerName, stateDir, defaultUser, allowRoot, defaultNetworkMode, capacity, null);
    }

    /** With the default engine socket ({@link #defaultEngineSocket()}). */
    public AgentSettings(String workerName, Path stateDir, String defaultUser, boolean allowRoot,
                         String defaultNetworkMode, int capacity, List<Path> prototypeDirs) {
        this(workerName, stateDir, defaultUser, allowRoot, defaultNetworkMode, capacity, prototypeDirs,
                defaultEngineSocket());
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
        return new AgentSettings(workerName, dir, defaultUser, allowRoot, defaultNetworkMode, capacity, prototypeDirs,
                engineSocket, sandbox);
    }

    public AgentSettings withDefaultNetworkMode(String mode) {
        return new AgentSettings(workerName, stateDir, defaultUser, allowRoot, mode, capacity, prototypeDirs,
                engineSocket, sandbox);
    }

    public AgentSettings withCapacity(int max) {
        return new AgentSettings(workerName, stateDir, defaultUser, allowRoot, defaultNetworkMode, max, prototypeDirs,
                engineSocket, sandbox);
    }

    public AgentSettings withPrototypeDirs(List<Path> dirs) {
        return new AgentSettings(workerName, stateDir, defaultUser, allowRoot, defaultNetworkMode, capacity,
                List.copyOf(dirs), engineSocket, sandbox);
    }

    /** With container services run through the engine at {@code socket} (null: none). */
    public AgentSettings withEngineSocket(Path socket) {
        return new AgentSettings(workerName, stateDir, defaultUser, allowRoot, defaultNetworkMode, capacity,
                prototypeDirs, socket, sandbox);
    }

    /** With {@code sandbox} as what the operator grants tasks. */
    public AgentSettings withSandbox(SandboxSettings sandbox) {
        return new AgentSettings(workerName, stateDir, defaultUser, allowRoot, defaultNetworkMode, capacity,
                prototypeDirs, engineSocket, sandbox);
    }

    /** {@value #ENGINE_SOCKET_PROPERTY}, or else {@value #ENGINE_SOCKET_ENV}; null (no container runtime) if neither is set. */
    public static Path defaultEngineSocket() {
        String socket = System.getProperty(ENGINE_SOCKET_PROPERTY, System.getenv(ENGINE_SOCKET_ENV));
        return socket == null || socket.isBlank() ? null : Path.of(socket.strip());
    }

    /**
     * The directories of {@value #PROTOTYPE_PATH_PROPERTY} (or else {@value #PROTOTYPE_PATH_ENV}), then
     * {@link #SYSTEM_PROTOTYPE_DIR}.
     */
    public static List<Path> defaultPrototypeDirs() {
        String path = System.getProperty(PROTOTYPE_PATH_PROPERTY, System.getenv(PROTOTYPE_PATH_ENV));
        List<Path> dirs = new ArrayList<>();
        if (path != null) {
            for (String dir : path.split(":")) {
                if (!dir.isBlank()) {
                    dirs.add(Path.of(dir.strip()));
                }
            }
        }
        dirs.add(SYSTEM_PROTOTYPE_DIR);
        return dirs;
    }
}
