package io.berth.events;

/** Kafka topic names. Input and agent topics are co-partitioned by task id (the record key). */
public final class Topics {
    /** In: {@code berth.task.started.v1} and {@code berth.task.ended.v1} from CI platforms. */
    public static final String TASK_EVENTS = "berth.task-events";
    /** Agents: {@code berth.service.*.v1}. */
    public static final String SERVICE_EVENTS = "berth.service-events";
    /** Out: {@code berth.task.services.{ready,failed,released}.v1} for CI platforms. */
    public static final String TASK_SERVICES = "berth.task-services";
    /** Every rejected input with the reason. */
    public static final String DEAD_LETTER = "berth.dead-letter";
    /** Compacted orchestrator state, for recovery. */
    public static final String ORCHESTRATOR_STATE = "berth.orchestrator-state";

    private Topics() {}
}
