package io.berth.agent.supervisor;

import io.berth.agent.os.TaskIds;
import io.berth.events.config.PortSpec;
import io.berth.events.config.ServiceConfig;
import io.berth.events.payload.NetworkSpec;

import java.util.Collections;
import java.util.HashMap;
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

    /**
     * Refuses a launch the supervisor cannot run: an empty task id, a bad service name or probe, a negative grace
     * period, or two services on one port of a shared network.
     */
    void validate(String defaultMode) {
        TaskLaunch launch = this;
        NetworkSpec network = launch.network();
        String mode = network == null || network.mode() == null || network.mode().isBlank() ? defaultMode : network.mode();
        // in bridge mode every service has a namespace and address of its own: two may listen on one port
        boolean sharedNetwork = !NetworkSpec.BRIDGE.equals(mode);
        if (launch.taskId().isBlank()) {
            throw new IllegalArgumentException("task id is empty");
        }
        Map<Integer, String> portOwners = new HashMap<>();
        for (Map.Entry<String, ServiceConfig> e : launch.services().entrySet()) {
            TaskIds.checkServiceName(e.getKey());
            if (e.getValue() == null) {
                throw new IllegalArgumentException("service '" + e.getKey() + "' has no config");
            }
            ServiceConfig config = e.getValue();
            if (config.startupProbe().failureThreshold() < 1 || !(config.startupProbe().periodSeconds() > 0)) {
                throw new IllegalArgumentException("service '" + e.getKey()
                        + "': startup_probe needs failure_threshold >= 1 and period_seconds > 0");
            }
            if (!(config.terminationGraceSeconds() >= 0)) {
                throw new IllegalArgumentException("service '" + e.getKey()
                        + "': termination_grace_seconds must not be negative");
            }
            for (PortSpec port : config.ports()) {
                String other = portOwners.putIfAbsent(port.number(), e.getKey());
                if (sharedNetwork && other != null && !other.equals(e.getKey())) {
                    throw new IllegalArgumentException("task " + launch.taskId() + ": port " + port.number()
                            + " is used by both service '" + other + "' and service '" + e.getKey()
                            + "'; they share one network (in bridge network mode each service has its own)");
                }
            }
        }
    }
}
