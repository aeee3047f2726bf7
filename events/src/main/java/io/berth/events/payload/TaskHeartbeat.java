package io.berth.events.payload;

/**
 * {@code berth.task.heartbeat.v1}: the CI side still runs the task; renews the lease {@code task.started} asked for.
 * A task whose lease runs out without a heartbeat is failed ("lease expired") and its services are released.
 *
 * @param taskId       the task id (also the subject and the Kafka key)
 * @param leaseSeconds a new lease length from now on; null keeps the one {@code task.started} gave
 */
public record TaskHeartbeat(String taskId, Integer leaseSeconds) {}
