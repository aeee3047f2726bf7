package io.berth.orchestrator.gateway;

/** The agent acknowledged a command with {@code accepted = false}. */
public final class CommandRejectedException extends RuntimeException {
    private final String worker;
    private final String commandId;
    private final boolean noRoom;

    public CommandRejectedException(String worker, String commandId, String error) {
        this(worker, commandId, error, false);
    }

    /** @param noRoom the agent refused a StartServices because it is at capacity (the task may go elsewhere) */
    public CommandRejectedException(String worker, String commandId, String error, boolean noRoom) {
        super(error == null || error.isEmpty() ? "rejected without a reason" : error);
        this.worker = worker;
        this.commandId = commandId;
        this.noRoom = noRoom;
    }

    public boolean noRoom() {
        return noRoom;
    }

    public String worker() {
        return worker;
    }

    public String commandId() {
        return commandId;
    }
}
