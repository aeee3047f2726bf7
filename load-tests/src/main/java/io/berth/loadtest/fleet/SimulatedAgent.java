package io.berth.loadtest.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import io.berth.agent.link.CommandHandler;
import io.berth.agent.link.KafkaSender;
import io.berth.agent.supervisor.NoRoomException;
import io.berth.events.EventCodec;
import io.berth.events.EventTypes;
import io.berth.events.Topics;
import io.berth.events.config.PortSpec;
import io.berth.events.json.Json;
import io.berth.events.kafka.CloudEventRecords;
import io.berth.events.payload.NetworkSpec;
import io.berth.events.payload.ServiceReady;
import io.berth.events.payload.ServiceStarting;
import io.berth.events.payload.ServiceStopped;
import io.berth.protocol.Hello;
import io.berth.protocol.OrchestratorCommand;
import io.berth.protocol.RunningTask;
import io.berth.protocol.ServiceSpec;
import io.berth.protocol.StartServices;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One simulated worker: it takes the real agent's commands (through the real {@code OrchestratorLink}, so the gRPC
 * protocol and its mutual TLS are the real agent's) and answers with the real {@code service.*} events through
 * Kafka (the same payloads, CloudEvents encoding, topic and key as the agent's), but runs nothing: each service is "ready" after a fixed delay and "stopped"
 * at once when told. So an orchestrator can be measured against thousands of workers in one JVM.
 *
 * <p>Like the real agent it refuses a StartServices that would take it past its capacity ({@link NoRoomException}:
 * the orchestrator then places the task elsewhere); every such refusal is counted, because it means an orchestrator
 * chose a worker that had no room. Thread-safe: commands
 * arrive on the event loops of the links to several orchestrators.
 */
public final class SimulatedAgent implements CommandHandler {
    /** What service.starting says the service's pid is: nothing runs, so this process's (a pid must be >= 1). */
    private static final long PID = ProcessHandle.current().pid();

    private final String worker;
    private final int capacity;
    private final long readyDelayMillis;
    private final Vertx vertx;
    private final KafkaSender sender;
    private final EventCodec codec;
    private final Map<String, RunningTaskState> tasks = new HashMap<>();
    private int activeServices;
    private int peakServices;
    private long starts;
    private long capacityRefusals;
    private String lastRefusal;

    /** One task's services on this worker. */
    private record RunningTaskState(long generation, NetworkSpec network, Map<String, Map<String, Integer>> services,
                                    long startedAtMillis, boolean[] ready) {}

    /** @param capacity most services at once, as announced in the hello; 0: unlimited */
    public SimulatedAgent(String worker, int capacity, long readyDelayMillis, Vertx vertx, KafkaSender sender) {
        this.worker = worker;
        this.capacity = capacity;
        this.readyDelayMillis = readyDelayMillis;
        this.vertx = vertx;
        this.sender = sender;
        this.codec = new EventCodec("berth://agent/" + worker);
    }

    public String worker() {
        return worker;
    }

    public int capacity() {
        return capacity;
    }

    /** What the real agent says first on every stream: its name, runtimes, capacity and what runs on it. */
    public synchronized Hello hello() {
        Hello.Builder hello = Hello.newBuilder().setWorker(worker).addRuntimes("process").addRuntimes("prototype")
                .setCapacity(capacity).setNetworkModes("namespace,host");
        tasks.forEach((taskId, task) -> hello.addInventory(RunningTask.newBuilder().setTaskId(taskId)
                .setGeneration(task.generation()).addAllServices(task.services().keySet())));
        return hello.build();
    }

    @Override
    public Future<Void> handle(OrchestratorCommand command) {
        return switch (command.getBodyCase()) {
            case START -> start(command.getStart());
            case STOP -> stop(command.getStop().getTaskId());
            default -> Future.failedFuture("not a command: " + command.getBodyCase());
        };
    }

    private Future<Void> start(StartServices start) {
        String taskId = start.getTaskId();
        RunningTaskState task;
        synchronized (this) {
            RunningTaskState existing = tasks.get(taskId);
            if (existing != null && existing.generation() == start.getGeneration()) {
                task = existing; // a repeat (e.g. from a new owner after a handover): report again, as the real agent does
            } else {
                if (existing != null) {
                    return Future.failedFuture("task " + taskId + ": generation " + start.getGeneration()
                            + " differs from the running generation " + existing.generation());
                }
                int requested = start.getServicesCount();
                if (capacity > 0 && activeServices + requested > capacity) {
                    capacityRefusals++;
                    lastRefusal = "worker " + worker + " is at capacity: " + activeServices + " services active, "
                            + requested + " requested, capacity " + capacity;
                    return Future.failedFuture(new NoRoomException(lastRefusal));
                }
                Map<String, Map<String, Integer>> services = new LinkedHashMap<>();
                for (ServiceSpec spec : start.getServicesList()) {
                    services.put(spec.getName(), ports(spec.getConfigJson()));
                }
                String mode = start.getNetwork().getMode().isBlank() ? NetworkSpec.NAMESPACE : start.getNetwork().getMode();
                task = new RunningTaskState(start.getGeneration(), new NetworkSpec(mode,
                        NetworkSpec.HOST.equals(mode) ? null : "/run/netns/berth-sim-" + taskId),
                        services, System.currentTimeMillis(), new boolean[1]);
                tasks.put(taskId, task);
                activeServices += requested;
                peakServices = Math.max(peakServices, activeServices);
                starts++;
            }
        }
        task.services().keySet().forEach(name -> publish(taskId, EventTypes.SERVICE_STARTING,
                new ServiceStarting(taskId, name, worker, task.generation(), PID)));
        if (readyDelayMillis <= 0) {
            ready(taskId, task);
        } else {
            vertx.setTimer(readyDelayMillis, id -> ready(taskId, task));
        }
        return Future.succeededFuture();
    }

    private void ready(String taskId, RunningTaskState task) {
        synchronized (this) {
            if (tasks.get(taskId) != task) {
                return; // stopped before it became ready
            }
            task.ready()[0] = true;
        }
        long now = System.currentTimeMillis();
        task.services().forEach((name, ports) -> publish(taskId, EventTypes.SERVICE_READY, new ServiceReady(taskId,
                name, worker, task.generation(), task.network(), "127.0.0.1", ports, task.startedAtMillis(), now, now)));
    }

    private Future<Void> stop(String taskId) {
        RunningTaskState task;
        synchronized (this) {
            task = tasks.remove(taskId);
            if (task == null) {
                return Future.succeededFuture(); // already released here, or never started: nothing to report
            }
            activeServices -= task.services().size();
        }
        task.services().keySet().forEach(name -> publish(taskId, EventTypes.SERVICE_STOPPED,
                new ServiceStopped(taskId, name, worker, task.generation(), "SIGTERM", 0, 0)));
        return Future.succeededFuture();
    }

    /** As the agent does: structured CloudEvents on {@code berth.service-events}, keyed by task id. */
    private void publish(String taskId, String type, Object payload) {
        sender.send(CloudEventRecords.structured(Topics.SERVICE_EVENTS, taskId, codec.encode(type, taskId, payload)));
    }

    private static Map<String, Integer> ports(String configJson) {
        Map<String, Integer> ports = new HashMap<>();
        try {
            for (JsonNode port : Json.MAPPER.readTree(configJson).path("ports")) {
                ports.put(port.path("name").asText(PortSpec.DEFAULT), port.path("number").asInt());
            }
        } catch (IOException e) {
            // an unreadable config has no ports to report; the orchestrator sent it, so this does not happen
        }
        return ports;
    }

    /** Services running here now (what the heartbeat says). */
    public synchronized int activeServices() {
        return activeServices;
    }

    /** What this worker did so far. */
    public synchronized Stats stats() {
        return new Stats(worker, capacity, activeServices, peakServices, tasks.size(), starts, capacityRefusals,
                lastRefusal);
    }

    /**
     * @param capacityRefusals StartServices refused because they would have taken the worker past its capacity
     */
    public record Stats(String worker, int capacity, int activeServices, int peakServices, int activeTasks,
                        long starts, long capacityRefusals, String lastRefusal) {
        public boolean everOverCommitted() {
            return capacityRefusals > 0 || (capacity > 0 && peakServices > capacity);
        }
    }

    /** Task ids running here (for checks). */
    public synchronized List<String> taskIds() {
        return new ArrayList<>(tasks.keySet());
    }
}
