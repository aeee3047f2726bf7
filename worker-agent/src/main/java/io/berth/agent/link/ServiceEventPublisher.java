package io.berth.agent.link;

import java.lang.System.Logger.Level;
import io.berth.agent.supervisor.ServiceEvents;
import io.berth.events.EventCodec;
import io.berth.events.EventTypes;
import io.berth.events.Topics;
import io.berth.events.kafka.CloudEventRecords;
import io.berth.events.payload.ServiceEvent;
import io.vertx.core.Future;

/** Publishes service events to {@code berth.service-events}, keyed by task id. */
public final class ServiceEventPublisher implements ServiceEvents {
    private static final System.Logger LOG = System.getLogger(ServiceEventPublisher.class.getName());

    private final KafkaSender sender;
    private final EventCodec codec;

    public ServiceEventPublisher(KafkaSender sender, EventCodec codec) {
        this.sender = sender;
        this.codec = codec;
    }

    /**
     * Hands the event to the send thread without waiting (this runs on event loops); completes (on the producer's
     * thread) when Kafka acknowledged it.
     */
    @Override
    public Future<Void> emit(ServiceEvent event) {
        String type = EventTypes.typeOf(event.getClass());
        return sender.send(CloudEventRecords.structured(Topics.SERVICE_EVENTS, event.taskId(),
                        codec.encode(type, event.taskId(), event)))
                .onFailure(e -> LOG.log(Level.ERROR, "could not publish {0} for task {1}: {2}", type, event.taskId(),
                        e.getMessage()))
                .mapEmpty();
    }
}
