package io.berth.agent.link;

import io.berth.agent.supervisor.ServiceEvents;
import io.berth.events.EventCodec;
import io.berth.events.EventTypes;
import io.berth.events.Topics;
import io.berth.events.kafka.CloudEventRecords;
import io.berth.events.payload.ServiceEvent;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Publishes service events to {@code berth.service-events}, keyed by task id. */
public final class ServiceEventPublisher implements ServiceEvents {
    private static final Logger LOG = LoggerFactory.getLogger(ServiceEventPublisher.class);

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
        Promise<Void> sent = Promise.promise();
        sender.send(CloudEventRecords.structured(Topics.SERVICE_EVENTS, event.taskId(),
                        codec.encode(type, event.taskId(), event)))
                .whenComplete((metadata, error) -> {
                    if (error != null) {
                        LOG.error("could not publish {} for task {}: {}", type, event.taskId(), error.getMessage());
                        sent.tryFail(error);
                    } else {
                        sent.tryComplete();
                    }
                });
        return sent.future();
    }
}
