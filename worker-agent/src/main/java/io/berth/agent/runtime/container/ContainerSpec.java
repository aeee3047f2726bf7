package io.berth.agent.runtime.container;

import io.berth.agent.os.TaskIds;
import io.berth.agent.runtime.ServiceLaunch;
import io.berth.events.config.InputSpec;
import io.berth.events.config.ResourceLimits;
import io.berth.events.config.RunSpec;
import io.berth.events.config.ServiceConfig;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The engine's container-create request for a service: its image, {@code run} as the entrypoint/command
 * override, {@code params} as environment, {@code inputs} bind-mounted read-only, the task's network namespace
 * as its network, resource limits, who it runs as ({@link ContainerUsers}), and the labels that say whose it is. Pure: no engine, no file system.
 */
final class ContainerSpec {
    /** Labels on every container Berth creates. */
    static final String LABEL_AGENT = "io.berth.agent";
    static final String LABEL_STATE_DIR = "io.berth.state-dir";
    static final String LABEL_TASK = "io.berth.task-id";
    static final String LABEL_SERVICE = "io.berth.service";
    static final String LABEL_GENERATION = "io.berth.generation";

    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private ContainerSpec() {}

    /** {@code berth-<task hash>-<service>-g<generation>}: unique per agent, readable in {@code podman ps}. */
    static String name(ServiceLaunch launch) {
        return "berth-" + TaskIds.shortHash(launch.taskId()) + "-" + TaskIds.checkServiceName(launch.service())
                + "-g" + launch.generation();
    }

    /**
     * @param imageWorkDir the image's working directory ({@code Config.WorkingDir}; blank: {@code /}), which
     *                     relative {@code run.dir} and input paths are resolved against
     * @param ulimits      engine {@code Ulimits} entries (the engine's defaults replace none that are left out)
     * @param users        who the container runs as on the host (the operator's rule on root)
     */
    static JsonObject create(ServiceLaunch launch, String image, String imageWorkDir, String worker, Path stateDir,
                             JsonArray ulimits, ContainerUsers users) {
        ServiceConfig config = launch.config();
        RunSpec run = config.run();
        JsonObject spec = new JsonObject().put("Image", image);
        String base = imageWorkDir == null || imageWorkDir.isBlank() ? "/" : imageWorkDir;
        String workDir = base;
        if (run != null) {
            if (run.isMessage()) {
                throw new IllegalArgumentException("run: " + run.message() + " is a prototype message, not a command");
            }
            if (run.path() != null) {
                // run overrides the image's entrypoint and command both: exactly what is written runs
                spec.put("Entrypoint", new JsonArray().add(run.path()));
                spec.put("Cmd", new JsonArray(run.args()));
            } else if (!run.args().isEmpty()) {
                spec.put("Cmd", new JsonArray(run.args())); // args alone: the image's entrypoint gets them
            }
            if (run.dir() != null && !run.dir().isBlank()) {
                workDir = inside(base, run.dir(), "run.dir");
                spec.put("WorkingDir", workDir);
            }
        }
        spec.put("Env", env(launch));
        spec.put("Labels", new JsonObject()
                .put(LABEL_AGENT, worker)
                .put(LABEL_STATE_DIR, stateDir.toString())
                .put(LABEL_TASK, launch.taskId())
                .put(LABEL_SERVICE, launch.service())
                .put(LABEL_GENERATION, Long.toString(launch.generation())));
        JsonObject host = new JsonObject()
                // the task's own namespace: 127.0.0.1 is shared with the task and its other services, and
                // the engine's default bridge network (which rewrites the host firewall) is never used
                .put("NetworkMode", launch.netns() != null ? "ns:" + launch.netns() : "host")
                .put("Binds", binds(launch, workDir))
                .put("Ulimits", ulimits);
        ResourceLimits limits = config.resources();
        if (limits != null && limits.memoryBytes() != null) {
            host.put("Memory", limits.memoryBytes());
        }
        if (limits != null && limits.cpus() != null) {
            host.put("NanoCpus", Math.round(limits.cpus() * 1e9));
        }
        users.apply(run, spec, host);
        return spec.put("HostConfig", host);
    }

    /** {@code params} and Berth's own variables (which params cannot override); the image's PATH etc. stay. */
    static JsonArray env(ServiceLaunch launch) {
        Map<String, String> env = new LinkedHashMap<>();
        launch.config().params().forEach((key, value) -> {
            if (!ENV_NAME.matcher(key).matches()) {
                throw new IllegalArgumentException("param '" + key + "' is not a valid environment variable name");
            }
            env.put(key, value == null ? "" : value instanceof String s ? s
                    : value instanceof Number || value instanceof Boolean ? value.toString() : Json.encode(value));
        });
        env.put("BERTH_TASK_ID", launch.taskId());
        env.put("BERTH_SERVICE_NAME", launch.service());
        JsonArray out = new JsonArray();
        env.forEach((k, v) -> out.add(k + "=" + v));
        return out;
    }

    /**
     * Each input, read-only, at its {@code path} (absolute, or relative to the working directory) or else
     * under its name in the working directory.
     */
    static JsonArray binds(ServiceLaunch launch, String workDir) {
        JsonArray binds = new JsonArray();
        for (InputSpec input : launch.config().inputs()) {
            String name = input.name();
            if (name == null || name.isBlank() || name.contains("/") || name.contains("..")) {
                throw new IllegalArgumentException("invalid input name '" + name + "': it must not contain '/' or '..'");
            }
            String source = launch.taskInputs().get(name);
            if (source == null) {
                throw new IllegalArgumentException("input '" + name + "' was not provided by the task");
            }
            if (!Path.of(source).isAbsolute() || source.contains(":")) {
                throw new IllegalArgumentException("input '" + name + "': " + source
                        + " must be an absolute path without ':'");
            }
            String target = inside(workDir, input.path() == null || input.path().isBlank() ? name : input.path(),
                    "input '" + name + "' path");
            if (target.equals("/")) {
                throw new IllegalArgumentException("input '" + name + "' cannot be mounted over /");
            }
            binds.add(source + ":" + target + ":ro");
        }
        return binds;
    }

    /** {@code path} made absolute against {@code base}, refusing {@code ..} and ':' (the bind separator). */
    private static String inside(String base, String path, String what) {
        Path p = Path.of(path);
        for (Path part : p) {
            if (part.toString().equals("..")) {
                throw new IllegalArgumentException(what + " '" + path + "' must not contain '..'");
            }
        }
        if (path.contains(":")) {
            throw new IllegalArgumentException(what + " '" + path + "' must not contain ':'");
        }
        return Path.of(base).resolve(p).normalize().toString();
    }
}
