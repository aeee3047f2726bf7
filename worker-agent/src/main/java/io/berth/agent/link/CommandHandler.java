package io.berth.agent.link;

import io.berth.protocol.OrchestratorCommand;
import io.vertx.core.Future;

/** Applies one orchestrator command; the link acknowledges it with the outcome. */
@FunctionalInterface
public interface CommandHandler {
    Future<Void> handle(OrchestratorCommand command);
}
