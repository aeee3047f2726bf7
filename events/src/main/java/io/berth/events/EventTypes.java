package io.berth.events;

import java.util.Set;

/** Versioned CloudEvents {@code type} names. */
public final class EventTypes {
    public static final String TASK_STARTED = "berth.task.started.v1";
    public static final String TASK_ENDED = "berth.task.ended.v1";

    public static final String SERVICE_STARTING = "berth.service.starting.v1";
    public static final String SERVICE_PROBE = "berth.service.probe.v1";
    public static final String SERVICE_READY = "berth.service.ready.v1";
    public static final String SERVICE_FAILED = "berth.service.failed.v1";
    public static final String SERVICE_EXITED = "berth.service.exited.v1";
    public static final String SERVICE_STOPPED = "berth.service.stopped.v1";

    public static final String TASK_SERVICES_READY = "berth.task.services.ready.v1";
    public static final String TASK_SERVICES_FAILED = "berth.task.services.failed.v1";
    public static final String TASK_SERVICES_RELEASED = "berth.task.services.released.v1";

    public static final Set<String> TASK_INPUT = Set.of(TASK_STARTED, TASK_ENDED);
    public static final Set<String> SERVICE = Set.of(SERVICE_STARTING, SERVICE_PROBE, SERVICE_READY,
            SERVICE_FAILED, SERVICE_EXITED, SERVICE_STOPPED);
    public static final Set<String> TASK_OUTPUT = Set.of(TASK_SERVICES_READY, TASK_SERVICES_FAILED,
            TASK_SERVICES_RELEASED);

    private EventTypes() {}
}
