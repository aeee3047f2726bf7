package io.berth.agent.supervisor;

/**
 * A start refused because the worker is at capacity. The link says so in its acknowledgement ({@code no_room}), so
 * the orchestrator places the task on another worker instead of failing it: orchestrator instances count only their
 * own reservations, so between two heartbeats several may choose the same worker, and the agent is the one that
 * knows.
 */
public final class NoRoomException extends RuntimeException {
    public NoRoomException(String message) {
        super(message);
    }
}
