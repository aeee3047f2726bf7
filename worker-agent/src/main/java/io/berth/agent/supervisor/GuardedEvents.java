package io.berth.agent.supervisor;

import io.berth.events.payload.ServiceEvent;
import io.vertx.core.Future;

import java.lang.System.Logger.Level;

/**
 * Shields the lifecycle from its listener: an event that cannot be published (a closed producer, a bug in a
 * publisher) is logged, and the service's start, probe and termination carry on.
 */
record GuardedEvents(ServiceEvents delegate) implements ServiceEvents {
    private static final System.Logger LOG = System.getLogger(GuardedEvents.class.getName());

    GuardedEvents {
        delegate = delegate == null ? ServiceEvents.NONE : delegate;
    }

    @Override
    public Future<Void> emit(ServiceEvent event) {
        try {
            return delegate.emit(event).recover(e -> failed(event, e));
        } catch (RuntimeException e) {
            return failed(event, e);
        }
    }

    private static Future<Void> failed(ServiceEvent event, Throwable e) {
        LOG.log(Level.ERROR, "task " + event.taskId() + " service " + event.service() + ": the "
                + event.getClass().getSimpleName() + " event was not published", e);
        return Future.succeededFuture();
    }
}
