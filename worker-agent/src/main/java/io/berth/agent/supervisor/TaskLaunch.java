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
 * @param command    the command this launch was made from, journalled so that an agent restarted after a crash can
 *                   make it again and re-attach to the running services; null: not re-attachable
 */
public record TaskLaunch(String taskId, long generation, NetworkSpec network, Map<String, ServiceConfig> services,
                         Map<String, String> inputs, byte[] command) {
    public TaskLaunch {
        Objects.requireNonNull(taskId, "taskId");
        services = services == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(services));
        inputs = inputs == null ? Map.of() : Map.copyOf(inputs);
        command = command == null ? null : command.clone();
    }

    public TaskLaunch(String taskId, long generation, NetworkSpec network, Map<String, ServiceConfig> services,
                      Map<String, String> inputs) {
        this(taskId, generation, network, services, inputs, null);
    }
}
