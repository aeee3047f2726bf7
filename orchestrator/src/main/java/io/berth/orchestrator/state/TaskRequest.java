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
 */
public record TaskRequest(String taskId, String worker, NetworkSpec network, List<RequestedService> services,
                          Map<String, String> inputs) {
    public TaskRequest {
        services = List.copyOf(services);
        inputs = inputs == null ? Map.of() : Map.copyOf(inputs);
    }

    public List<String> serviceNames() {
        return services.stream().map(RequestedService::name).toList();
    }

    /** One service to start: its name and its config as the JSON the agent reads. */
    public record RequestedService(String name, String configJson) {}
}
