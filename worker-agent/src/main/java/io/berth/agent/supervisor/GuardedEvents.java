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
            return delegate.emit(event).recover(e -> {
                LOG.log(Level.ERROR, describe(event) + " was not published: " + e.getMessage());
                return Future.succeededFuture();
            });
        } catch (RuntimeException e) { // a bug in a listener
            LOG.log(Level.ERROR, describe(event) + " failed", e);
            return Future.succeededFuture();
        }
    }

    private static String describe(ServiceEvent event) {
        return "task " + event.taskId() + " service " + event.service() + ": the " + event.getClass().getSimpleName()
                + " event";
    }
}
