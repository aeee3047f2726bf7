package io.berth.loadtest.measure;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What happened to one generated task, as instants: event times (epoch µs, from the CloudEvents
 * {@code time} of each event, so every hop inside Berth is included and nothing of the generator's
 * own consumer is), the agent's per-service timestamps, and the generator's local clock for its own
 * schedule. Written by the sender, the output listener and the ender threads; read after the step.
 */
public final class TaskTrace {
    /** One service of the task. */
    public static final class ServiceTrace {
        long generation;
        long launchedAtMillis = -1;
        long portOpenAtMillis = -1;
        long readyAtMillis = -1;
        long readyEventMicros = -1;
        long listenMicros = -1;
        String stopSignal;
        long stopMillis = -1;
    }

    private final String taskId;
    private final long scheduledNanos;
    private long sentNanos = -1;
    private long startedMicros = -1;
    private long readyMicros = -1;
    private long readyReceivedNanos = -1;
    private long endedMicros = -1;
    private long endedNanos = -1;
    private long releasedMicros = -1;
    private long releasedReceivedNanos = -1;
    private boolean failed;
    private boolean ending;
    private boolean abandoned;
    private final Map<String, ServiceTrace> services = new LinkedHashMap<>();
    private final List<String> errors = new ArrayList<>();

    public TaskTrace(String taskId, long scheduledNanos) {
        this.taskId = taskId;
        this.scheduledNanos = scheduledNanos;
    }

    public String taskId() {
        return taskId;
    }

    public long scheduledNanos() {
        return scheduledNanos;
    }

    public synchronized void sent(long nanos, long eventMicros) {
        sentNanos = nanos;
        startedMicros = eventMicros;
    }

    public synchronized void servicesReady(long eventMicros, long receivedNanos) {
        if (readyMicros < 0) {
            readyMicros = eventMicros;
            readyReceivedNanos = receivedNanos;
        }
    }

    public synchronized void serviceReady(String service, long generation, long launchedAtMillis, Long portOpenAtMillis,
                                          long readyAtMillis, long eventMicros) {
        ServiceTrace s = service(service);
        s.generation = generation;
        s.launchedAtMillis = launchedAtMillis;
        s.portOpenAtMillis = portOpenAtMillis == null ? -1 : portOpenAtMillis;
        s.readyAtMillis = readyAtMillis;
        s.readyEventMicros = eventMicros;
    }

    public synchronized void serviceStopped(String service, String signal, long durationMillis) {
        ServiceTrace s = service(service);
        s.stopSignal = signal;
        s.stopMillis = durationMillis;
    }

    public synchronized void listenStamp(String service, long micros) {
        service(service).listenMicros = micros;
    }

    /** True once: whoever gets it publishes {@code task.ended}. */
    public synchronized boolean beginEnding() {
        if (ending) {
            return false;
        }
        ending = true;
        return true;
    }

    public synchronized void ended(long nanos, long eventMicros) {
        endedNanos = nanos;
        endedMicros = eventMicros;
    }

    public synchronized void released(long eventMicros, long receivedNanos) {
        if (releasedMicros < 0) {
            releasedMicros = eventMicros;
            releasedReceivedNanos = receivedNanos;
        }
    }

    /** The task's services could not be made ready (services.failed, or a service failed or exited). */
    public synchronized void failed(String error) {
        failed = true;
        errors.add(error);
    }

    public synchronized void error(String error) {
        errors.add(error);
    }

    public synchronized boolean isReady() {
        return readyMicros >= 0;
    }

    public synchronized boolean isFailed() {
        return failed;
    }

    public synchronized boolean isEnded() {
        return endedMicros >= 0;
    }

    public synchronized boolean isReleased() {
        return releasedMicros >= 0;
    }

    /** Gave up waiting for its release (an error was recorded). */
    public synchronized void abandon(String error) {
        abandoned = true;
        errors.add(error);
    }

    /** Released, or given up on. */
    public synchronized boolean isSettled() {
        return releasedMicros >= 0 || abandoned;
    }

    public synchronized long sentNanos() {
        return sentNanos;
    }

    public synchronized long startedMicros() {
        return startedMicros;
    }

    public synchronized long readyMicros() {
        return readyMicros;
    }

    public synchronized long readyReceivedNanos() {
        return readyReceivedNanos;
    }

    public synchronized long endedMicros() {
        return endedMicros;
    }

    public synchronized long releasedMicros() {
        return releasedMicros;
    }

    public synchronized long endedNanos() {
        return endedNanos;
    }

    public synchronized long releasedReceivedNanos() {
        return releasedReceivedNanos;
    }

    public synchronized List<String> errors() {
        return List.copyOf(errors);
    }

    /** A snapshot of the services, in the order they were first heard of. */
    public synchronized Map<String, ServiceTrace> services() {
        return new LinkedHashMap<>(services);
    }

    private ServiceTrace service(String name) {
        return services.computeIfAbsent(name, n -> new ServiceTrace());
    }
}
