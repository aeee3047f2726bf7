package io.berth.orchestrator.state;

import io.berth.events.payload.NetworkSpec;
import java.util.List;
import java.util.Map;

/**
 * A validated {@code task.started}: what to start and where.
 *
 * @param worker   the worker named by the task, or null to let placement choose
 * @param network  the requested network, or null for the worker's default
 * @param services the services in declaration order, each with the config the agent receives
 * @param inputs   task artifact name → path on the worker
 * @param leaseSeconds the task's lease (renewed by {@code berth.task.heartbeat.v1}), or null for none
 */
public record TaskRequest(String taskId, String worker, NetworkSpec network, List<RequestedService> services,
                          Map<String, String> inputs, Integer leaseSeconds) {
    public TaskRequest {
        services = List.copyOf(services);
        inputs = inputs == null ? Map.of() : Map.copyOf(inputs);
    }

    /** A request without a lease. */
    public TaskRequest(String taskId, String worker, NetworkSpec network, List<RequestedService> services,
                       Map<String, String> inputs) {
        this(taskId, worker, network, services, inputs, null);
    }

    public List<String> serviceNames() {
        return services.stream().map(RequestedService::name).toList();
    }

    /**
     * One service to start: its name and its config as the JSON the agent reads. Both are interned: tasks of one
     * pipeline ask for the same services with the same configs, and a live task keeps its request (to start its
     * services again after a handover), so ten thousand live tasks held ten thousand copies of a few configs.
     */
    public record RequestedService(String name, String configJson) {
        public RequestedService {
            name = name == null ? null : name.intern();
            configJson = configJson == null ? null : configJson.intern();
        }
    }
}
