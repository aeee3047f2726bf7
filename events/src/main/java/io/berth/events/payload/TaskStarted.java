package io.berth.events.payload;

import io.berth.events.config.ServiceRequest;
import java.util.List;
import java.util.Map;

/**
 * {@code berth.task.started.v1}: a task is about to run and needs its services.
 *
 * @param taskId   the task id (also the CloudEvents subject and the Kafka key)
 * @param worker   the worker the task runs on; null lets the orchestrator place it
 * @param network  requested network (null: the worker's default)
 * @param services the task's {@code services:} list
 * @param inputs   task artifacts: name → path on the worker
 */
public record TaskStarted(String taskId, String worker, NetworkSpec network, List<ServiceRequest> services,
                          Map<String, String> inputs) {
    public TaskStarted {
        services = services == null ? List.of() : List.copyOf(services);
        inputs = inputs == null ? Map.of() : Map.copyOf(inputs);
    }
}
