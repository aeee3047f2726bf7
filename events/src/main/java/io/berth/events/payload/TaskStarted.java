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
 * @param leaseSeconds the task's lease: unless {@code berth.task.heartbeat.v1} renews it within this many seconds
 *                 (counted from {@code task.started}, then from each heartbeat), the task is failed ("lease
 *                 expired") and its services are released; null: no lease (only {@code task.ended} or the
 *                 orchestrator's maximum task lifetime ends it)
 */
public record TaskStarted(String taskId, String worker, NetworkSpec network, List<ServiceRequest> services,
                          Map<String, String> inputs, Integer leaseSeconds) {
    public TaskStarted {
        services = services == null ? List.of() : List.copyOf(services);
        inputs = inputs == null ? Map.of() : Map.copyOf(inputs);
    }

    /** A task without a lease. */
    public TaskStarted(String taskId, String worker, NetworkSpec network, List<ServiceRequest> services,
                       Map<String, String> inputs) {
        this(taskId, worker, network, services, inputs, null);
    }
}
