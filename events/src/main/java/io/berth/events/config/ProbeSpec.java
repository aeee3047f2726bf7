package io.berth.events.config;

/**
 * The startup probe. With {@code run} unset, the probe waits until every listed port accepts TCP.
 * The service fails when no attempt succeeded within {@code failureThreshold × periodSeconds}.
 */
public record ProbeSpec(RunSpec run, int failureThreshold, double periodSeconds) {
    public static final int DEFAULT_FAILURE_THRESHOLD = 30;
    public static final double DEFAULT_PERIOD_SECONDS = 1;

    public static ProbeSpec ports() {
        return new ProbeSpec(null, DEFAULT_FAILURE_THRESHOLD, DEFAULT_PERIOD_SECONDS);
    }

    public long deadlineMillis() {
        return Math.round(failureThreshold * periodSeconds * 1000);
    }
}
