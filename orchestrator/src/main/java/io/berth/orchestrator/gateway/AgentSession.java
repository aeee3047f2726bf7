package io.berth.orchestrator.gateway;

import io.berth.protocol.AgentMessage;
import io.berth.protocol.Heartbeat;
import io.berth.protocol.Hello;
import io.berth.protocol.OrchestratorCommand;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServerResponse;

/**
 * One connected agent: the open {@code Connect} stream of a worker, what it said in its Hello, and when it
 * was last heard from. Used on the gateway's Vert.x context only.
 */
public final class AgentSession {
    private final Hello hello;
    private final GrpcServerResponse<AgentMessage, OrchestratorCommand> commands;
    private final long connectedAtMillis;
    private long lastSeenMillis;
    private int activeServices;
    private boolean closed;

    AgentSession(Hello hello, GrpcServerResponse<AgentMessage, OrchestratorCommand> commands, long nowMillis) {
        this.hello = hello;
        this.commands = commands;
        this.connectedAtMillis = nowMillis;
        this.lastSeenMillis = nowMillis;
        this.activeServices = hello.getInventoryList().stream().mapToInt(t -> t.getServicesCount()).sum();
    }

    public String worker() {
        return hello.getWorker();
    }

    public Hello hello() {
        return hello;
    }

    public long connectedAtMillis() {
        return connectedAtMillis;
    }

    public long lastSeenMillis() {
        return lastSeenMillis;
    }

    /** As reported by the agent's last heartbeat (or counted from its Hello inventory). */
    public int activeServices() {
        return activeServices;
    }

    public boolean isClosed() {
        return closed;
    }

    void seen(long nowMillis) {
        lastSeenMillis = nowMillis;
    }

    void heartbeat(Heartbeat heartbeat, long nowMillis) {
        lastSeenMillis = nowMillis;
        activeServices = heartbeat.getActiveServices();
    }

    void write(OrchestratorCommand command) {
        if (!closed) {
            commands.write(command);
        }
    }

    /** Ends the stream with {@code status} (the agent redials); idempotent. */
    void close(GrpcStatus status, String message) {
        if (closed) {
            return;
        }
        closed = true;
        try {
            commands.status(status).statusMessage(message).end();
        } catch (RuntimeException alreadyGone) {
            // the stream was reset by the agent: nothing to tell it
        }
    }

    void markClosed() {
        closed = true;
    }

    @Override
    public String toString() {
        return "AgentSession[" + worker() + "]";
    }
}
