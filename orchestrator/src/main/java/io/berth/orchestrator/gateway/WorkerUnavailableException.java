package io.berth.orchestrator.gateway;

/** The worker's agent is not connected, so it cannot be asked anything now. */
public final class WorkerUnavailableException extends RuntimeException {
    private final String worker;

    public WorkerUnavailableException(String worker) {
        super("worker " + worker + " is not connected");
        this.worker = worker;
    }

    public String worker() {
        return worker;
    }
}
