package io.berth.orchestrator.gateway;

/** The agent acknowledged a command with {@code accepted = false}. */
public final class CommandRejectedException extends RuntimeException {
    private final String worker;
    private final String commandId;

    public CommandRejectedException(String worker, String commandId, String error) {
        super(error == null || error.isEmpty() ? "rejected without a reason" : error);
        this.worker = worker;
        this.commandId = commandId;
    }

    public String worker() {
        return worker;
    }

    public String commandId() {
        return commandId;
    }
}
