package io.berth.agent.link;

import io.berth.agent.logs.ServiceSecrets;
import io.berth.agent.supervisor.ServiceEvents;
import io.berth.events.payload.ServiceEvent;
import io.vertx.core.Future;

/** Masks a service's secret params in the reasons, probe messages and log tails its events carry. */
record MaskedServiceEvents(ServiceEvents delegate, ServiceSecrets secrets) implements ServiceEvents {
    @Override
    public Future<Void> emit(ServiceEvent event) {
        return delegate.emit(event.mapText(text -> secrets.mask(event.taskId(), event.service(), text)));
    }
}
