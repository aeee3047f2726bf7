package io.berth.events.payload;

import java.util.function.UnaryOperator;

/**
 * {@code berth.service.probe.v1}: a counted probe result. {@code result} is {@code success},
 * {@code failure} (the service said no) or {@code error} (the probe could not run).
 */
public record ServiceProbe(String taskId, String service, String worker, long generation, int attempt,
                           String result, String message) implements ServiceEvent {
    /** The {@code result} of an attempt that succeeded (the others say {@code failure} or {@code error}). */
    public static final String SUCCESS = "success";

    /** Whether the attempt succeeded. */
    public boolean succeeded() {
        return SUCCESS.equals(result);
    }

    @Override
    public ServiceProbe mapText(UnaryOperator<String> f) {
        return new ServiceProbe(taskId, service, worker, generation, attempt, result, message == null ? null
                : f.apply(message));
    }
}
