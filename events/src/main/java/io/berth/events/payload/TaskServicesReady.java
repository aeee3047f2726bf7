package io.berth.events.payload;

import java.util.Map;

/**
 * {@code berth.task.services.ready.v1}: every service of the task is ready; the task may run.
 *
 * @param network  the network the task must join
 * @param services service name → its {@code .svc} variables
 */
public record TaskServicesReady(String taskId, String worker, NetworkSpec network,
                                Map<String, SvcVariables> services) {
    public TaskServicesReady {
        services = services == null ? Map.of() : Map.copyOf(services);
    }
}
