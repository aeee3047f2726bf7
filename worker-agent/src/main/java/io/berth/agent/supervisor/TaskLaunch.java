package io.berth.agent.supervisor;

import io.berth.events.config.ServiceConfig;
import io.berth.events.payload.NetworkSpec;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A request to run a task's services.
 *
 * @param generation increases when the same task's services are requested again; start is idempotent per
 *                   task id + generation
 * @param network    requested network (null or null mode: the agent's default; a path: join that namespace)
 * @param services   service name → config, in the order the task lists them
 * @param inputs     task artifacts on this worker: input name → absolute path
 */
public record TaskLaunch(String taskId, long generation, NetworkSpec network, Map<String, ServiceConfig> services,
                         Map<String, String> inputs) {
    public TaskLaunch {
        Objects.requireNonNull(taskId, "taskId");
        services = services == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(services));
        inputs = inputs == null ? Map.of() : Map.copyOf(inputs);
    }
}
