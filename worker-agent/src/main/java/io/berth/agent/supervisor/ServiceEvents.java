package io.berth.agent.supervisor;

import io.berth.events.payload.ServiceEvent;
import io.vertx.core.Future;

/**
 * Where a task's service events go (published to Kafka, counted, masked on the way). Called on the supervisor's
 * Vert.x context: never block in it. For each service: {@code starting}, then {@code probe}* and {@code ready} or
 * {@code failed}; then maybe {@code exited}; finally {@code stopped}. A service that cannot be launched gets
 * {@code failed} without {@code starting}.
 */
@FunctionalInterface
public interface ServiceEvents {

    /**
     * Completes once the event is durable (Kafka acknowledged it). The agent waits for that only for
     * {@code stopped}: only then does it forget the service.
     */
    Future<Void> emit(ServiceEvent event);

    /** Discards every event. */
    ServiceEvents NONE = event -> Future.succeededFuture();
}
