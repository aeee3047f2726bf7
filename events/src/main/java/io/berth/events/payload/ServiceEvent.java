package io.berth.events.payload;

import java.util.function.UnaryOperator;

/**
 * What a worker agent says about one service of a task on {@code berth.service-events}: one record per event type,
 * in the order starting, probe*, then ready or failed, maybe exited, and finally stopped.
 */
public sealed interface ServiceEvent
        permits ServiceStarting, ServiceProbe, ServiceReady, ServiceFailed, ServiceExited, ServiceStopped {
    String taskId();

    String service();

    String worker();

    long generation();

    /** This event with its free text (reason, probe message, log lines) passed through {@code f}, e.g. to mask it. */
    default ServiceEvent mapText(UnaryOperator<String> f) {
        return this;
    }
}
