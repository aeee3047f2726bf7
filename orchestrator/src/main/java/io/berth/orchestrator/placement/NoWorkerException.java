package io.berth.orchestrator.placement;

/** No worker can take the task; the message names the strategy that left no candidate. */
public final class NoWorkerException extends RuntimeException {
    private final String strategy;

    public NoWorkerException(String strategy, String message) {
        super(message);
        this.strategy = strategy;
    }

    /** The strategy that left no candidate, or {@code "wait"} when the placement wait expired. */
    public String strategy() {
        return strategy;
    }
}
