package io.berth.events.payload;

/** {@code berth.service.starting.v1}: the agent launched the service (pid for processes). */
public record ServiceStarting(String taskId, String service, String worker, long generation, Long pid)
        implements ServiceEvent {}
