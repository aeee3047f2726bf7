package io.berth.agent.link;

import io.berth.agent.supervisor.ServiceEvents;
import io.berth.events.EventCodec;
import io.berth.events.EventTypes;
import io.berth.events.Topics;
import io.berth.events.kafka.CloudEventRecords;
import io.berth.events.payload.NetworkSpec;
import io.berth.events.payload.ServiceExited;
import io.berth.events.payload.ServiceFailed;
import io.berth.events.payload.ServiceProbe;
import io.berth.events.payload.ServiceReady;
import io.berth.events.payload.ServiceStarting;
import io.berth.events.payload.ServiceStopped;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Publishes one task's service lifecycle to {@code berth.service-events}, keyed by task id. */
public final class ServiceEventPublisher implements ServiceEvents {
    private static final Logger LOG = LoggerFactory.getLogger(ServiceEventPublisher.class);

    private final KafkaSender sender;
    private final EventCodec codec;
    private final String worker;
    private final String taskId;
    private final long generation;

    public ServiceEventPublisher(KafkaSender sender, EventCodec codec, String worker, String taskId,
                                 long generation) {
        this.sender = sender;
        this.codec = codec;
        this.worker = worker;
        this.taskId = taskId;
        this.generation = generation;
    }

    @Override
    public void starting(String service, long pid) {
        publish(EventTypes.SERVICE_STARTING, new ServiceStarting(taskId, service, worker, generation, pid));
    }

    @Override
    public void probe(String service, int attempt, String result, String message) {
        publish(EventTypes.SERVICE_PROBE, new ServiceProbe(taskId, service, worker, generation, attempt, result, message));
    }

    @Override
    public void ready(String service, NetworkSpec network, String host, Map<String, Integer> ports,
                      long startedAtMillis, Long portOpenAtMillis, long readyAtMillis) {
        publish(EventTypes.SERVICE_READY, new ServiceReady(taskId, service, worker, generation, network, host, ports,
                startedAtMillis, portOpenAtMillis, readyAtMillis));
    }

    @Override
    public void failed(String service, String reason, List<String> logTail) {
        publish(EventTypes.SERVICE_FAILED, new ServiceFailed(taskId, service, worker, generation, reason, logTail));
    }

    @Override
    public void exited(String service, int exitCode, List<String> logTail) {
        publish(EventTypes.SERVICE_EXITED, new ServiceExited(taskId, service, worker, generation, exitCode, logTail));
    }

    @Override
    public io.vertx.core.Future<Void> stopped(String service, String signal, long durationMillis, Integer exitCode) {
        return publish(EventTypes.SERVICE_STOPPED, new ServiceStopped(taskId, service, worker, generation, signal,
                durationMillis, exitCode));
    }

    /**
     * Hands the event to the send thread without waiting (this runs on event loops); completes (on the producer's
     * thread) when Kafka acknowledged it.
     */
    private io.vertx.core.Future<Void> publish(String type, Object payload) {
        io.vertx.core.Promise<Void> sent = io.vertx.core.Promise.promise();
        sender.send(CloudEventRecords.structured(Topics.SERVICE_EVENTS, taskId, codec.encode(type, taskId, payload)))
                .whenComplete((metadata, error) -> {
                    if (error != null) {
                        LOG.error("could not publish {} for task {}: {}", type, taskId, error.getMessage());
                        sent.tryFail(error);
                    } else {
                        sent.tryComplete();
                    }
                });
        return sent.future();
    }
}
