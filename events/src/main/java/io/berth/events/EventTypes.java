package io.berth.events;

import io.berth.events.payload.ServiceExited;
import io.berth.events.payload.ServiceFailed;
import io.berth.events.payload.ServiceProbe;
import io.berth.events.payload.ServiceReady;
import io.berth.events.payload.ServiceStarting;
import io.berth.events.payload.ServiceStopped;
import io.berth.events.payload.TaskEnded;
import io.berth.events.payload.TaskHeartbeat;
import io.berth.events.payload.TaskServicesDegraded;
import io.berth.events.payload.TaskServicesFailed;
import io.berth.events.payload.TaskServicesReady;
import io.berth.events.payload.TaskServicesReleased;
import io.berth.events.payload.TaskStarted;
import java.util.Map;
import java.util.Set;

/**
 * Versioned CloudEvents {@code type} names, and the payload record of each. The JSON Schema of a
 * type's payload is {@code /schemas/<type>.json} on the classpath.
 */
public final class EventTypes {
    public static final String TASK_STARTED = "berth.task.started.v1";
    public static final String TASK_ENDED = "berth.task.ended.v1";
    /** Renews the lease of a task whose {@code task.started} asked for one. */
    public static final String TASK_HEARTBEAT = "berth.task.heartbeat.v1";

    public static final String SERVICE_STARTING = "berth.service.starting.v1";
    public static final String SERVICE_PROBE = "berth.service.probe.v1";
    public static final String SERVICE_READY = "berth.service.ready.v1";
    public static final String SERVICE_FAILED = "berth.service.failed.v1";
    public static final String SERVICE_EXITED = "berth.service.exited.v1";
    public static final String SERVICE_STOPPED = "berth.service.stopped.v1";

    public static final String TASK_SERVICES_READY = "berth.task.services.ready.v1";
    public static final String TASK_SERVICES_FAILED = "berth.task.services.failed.v1";
    public static final String TASK_SERVICES_RELEASED = "berth.task.services.released.v1";
    /** A ready service exited on its own while the task ran. */
    public static final String TASK_SERVICES_DEGRADED = "berth.task.services.degraded.v1";

    public static final Set<String> TASK_INPUT = Set.of(TASK_STARTED, TASK_ENDED, TASK_HEARTBEAT);
    public static final Set<String> SERVICE = Set.of(SERVICE_STARTING, SERVICE_PROBE, SERVICE_READY,
            SERVICE_FAILED, SERVICE_EXITED, SERVICE_STOPPED);
    public static final Set<String> TASK_OUTPUT = Set.of(TASK_SERVICES_READY, TASK_SERVICES_FAILED,
            TASK_SERVICES_RELEASED, TASK_SERVICES_DEGRADED);

    private static final Map<String, Class<?>> PAYLOAD_TYPES = Map.ofEntries(
            Map.entry(TASK_STARTED, TaskStarted.class),
            Map.entry(TASK_ENDED, TaskEnded.class),
            Map.entry(TASK_HEARTBEAT, TaskHeartbeat.class),
            Map.entry(SERVICE_STARTING, ServiceStarting.class),
            Map.entry(SERVICE_PROBE, ServiceProbe.class),
            Map.entry(SERVICE_READY, ServiceReady.class),
            Map.entry(SERVICE_FAILED, ServiceFailed.class),
            Map.entry(SERVICE_EXITED, ServiceExited.class),
            Map.entry(SERVICE_STOPPED, ServiceStopped.class),
            Map.entry(TASK_SERVICES_READY, TaskServicesReady.class),
            Map.entry(TASK_SERVICES_FAILED, TaskServicesFailed.class),
            Map.entry(TASK_SERVICES_RELEASED, TaskServicesReleased.class),
            Map.entry(TASK_SERVICES_DEGRADED, TaskServicesDegraded.class));

    /** Every known type. */
    public static final Set<String> ALL = PAYLOAD_TYPES.keySet();

    private EventTypes() {}

    public static boolean isKnown(String type) {
        return type != null && PAYLOAD_TYPES.containsKey(type);
    }

    /** The payload record of {@code type}. */
    public static Class<?> payloadType(String type) {
        Class<?> payloadType = type == null ? null : PAYLOAD_TYPES.get(type);
        if (payloadType == null) {
            throw new IllegalArgumentException("unknown event type: " + type);
        }
        return payloadType;
    }

    /** The event type whose payload is {@code payloadType}. */
    public static String typeOf(Class<?> payloadType) {
        return PAYLOAD_TYPES.entrySet().stream().filter(e -> e.getValue() == payloadType)
                .map(Map.Entry::getKey).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("not an event payload: " + payloadType.getName()));
    }

    /** Classpath resource name of the payload schema of {@code type}, e.g. {@code berth.task.started.v1.json}. */
    public static String schemaName(String type) {
        return type + ".json";
    }
}
