package io.berth.events.payload;

/**
 * {@code berth.service.probe.v1}: a counted probe result. {@code result} is {@code success},
 * {@code failure} (the service said no) or {@code error} (the probe could not run).
 */
public record ServiceProbe(String taskId, String service, String worker, long generation, int attempt,
                           String result, String message) {}
