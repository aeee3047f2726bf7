package io.berth.cli;

import io.berth.events.Envelope;
import io.berth.events.EventTypes;
import io.berth.events.config.ServiceConfigs;
import io.berth.events.config.ServiceRequest;
import io.berth.events.payload.NetworkSpec;
import io.berth.events.payload.TaskEnded;
import io.berth.events.payload.TaskStarted;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** Test-side CI platform: starts and ends tasks, and collects every event Berth says about one. */
final class TaskDriver implements AutoCloseable {
    private final TaskClient client;
    private final Map<String, List<Envelope>> seen = new LinkedHashMap<>();

    TaskDriver(String bootstrapServers) {
        client = new TaskClient(bootstrapServers);
    }

    static String newTaskId() {
        return "t-" + UUID.randomUUID();
    }

    /** Publishes task.started with inline service configs given as YAML, in order. */
    void start(String taskId, Map<String, String> servicesYaml) throws Exception {
        start(taskId, null, servicesYaml);
    }

    /** Same, asking for {@code network} (null: the worker's default). */
    void start(String taskId, NetworkSpec network, Map<String, String> servicesYaml) throws Exception {
        List<ServiceRequest> services = new ArrayList<>();
        servicesYaml.forEach((name, yaml) -> services.add(
                new ServiceRequest(name, null, ServiceConfigs.parseYaml(yaml, name + ".yml"), null, null)));
        client.publish(EventTypes.TASK_STARTED, taskId, new TaskStarted(taskId, null, network, services, Map.of()));
    }

    void end(String taskId) throws Exception {
        client.publish(EventTypes.TASK_ENDED, taskId, new TaskEnded(taskId, "succeeded"));
    }

    void publishRaw(String taskId, byte[] value) throws Exception {
        client.publishRaw(taskId, value);
    }

    /** Waits for the first event of {@code type} about {@code taskId}. */
    Envelope await(String taskId, String type, Duration timeout) {
        return find(taskId, type).orElseGet(() -> {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                Optional<Envelope> next = client.next(taskId, Duration.ofNanos(deadline - System.nanoTime()));
                if (next.isEmpty()) {
                    break;
                }
                seen.computeIfAbsent(taskId, k -> new ArrayList<>()).add(next.get());
                if (next.get().type().equals(type)) {
                    return next.get();
                }
            }
            throw new AssertionError("no " + type + " for " + taskId + " within " + timeout + "; saw "
                    + events(taskId).stream().map(Envelope::type).toList());
        });
    }

    /** Every event seen so far about the task (after draining what is already there for a moment). */
    List<Envelope> events(String taskId) {
        return List.copyOf(seen.getOrDefault(taskId, List.of()));
    }

    void drain(String taskId, Duration quiet) {
        while (true) {
            Optional<Envelope> next = client.next(taskId, quiet);
            if (next.isEmpty()) {
                return;
            }
            seen.computeIfAbsent(taskId, k -> new ArrayList<>()).add(next.get());
        }
    }

    private Optional<Envelope> find(String taskId, String type) {
        return events(taskId).stream().filter(e -> e.type().equals(type)).findFirst();
    }

    @Override
    public void close() {
        client.close();
    }
}
