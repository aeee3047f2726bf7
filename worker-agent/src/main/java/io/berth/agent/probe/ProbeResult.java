package io.berth.agent.probe;

/**
 * The answer of one probe step. {@link Status#FAILURE}: the service said no (not listening, the check
 * command exited non-zero). {@link Status#ERROR}: the probe itself could not run.
 */
public record ProbeResult(Status status, String message) {

    public enum Status {
        SUCCESS, FAILURE, ERROR;

        /** Name used in events: {@code success}, {@code failure}, {@code error}. */
        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public static ProbeResult success(String message) {
        return new ProbeResult(Status.SUCCESS, message);
    }

    public static ProbeResult failure(String message) {
        return new ProbeResult(Status.FAILURE, message);
    }

    public static ProbeResult error(String message) {
        return new ProbeResult(Status.ERROR, message);
    }

    public boolean isSuccess() {
        return status == Status.SUCCESS;
    }
}
