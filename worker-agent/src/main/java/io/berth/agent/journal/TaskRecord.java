package io.berth.agent.journal;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * What the agent started for a task, as journalled: enough to re-attach to it, or to find and remove it, after a
 * crash.
 *
 * @param namespace    name of the network namespace Berth created for the task (null: host or joined)
 * @param command      the command the task's services were started by (null: the task cannot be re-attached)
 * @param reattachable whether its network can be taken over by a restarted agent (bridge mode cannot)
 */
public record TaskRecord(String taskId, long generation, String namespace, List<ServiceRecord> services,
                         byte[] command, boolean reattachable) {
    public TaskRecord {
        services = List.copyOf(services);
    }

    public TaskRecord(String taskId, long generation, String namespace, List<ServiceRecord> services) {
        this(taskId, generation, namespace, services, null, false);
    }

    /**
     * A launched service: its pid (= process group) and start time, which tells it apart from a reused pid, and
     * whether it was reported ready.
     */
    public record ServiceRecord(String name, long pid, long startTicks, boolean ready) {
        public ServiceRecord(String name, long pid, long startTicks) {
            this(name, pid, startTicks, false);
        }
    }

    public TaskRecord withService(ServiceRecord service) {
        List<ServiceRecord> all = new ArrayList<>(services);
        all.removeIf(s -> s.name().equals(service.name()));
        all.add(service);
        return new TaskRecord(taskId, generation, namespace, all, command, reattachable);
    }

    /** The same, with service {@code name} marked ready (unchanged if it has no record). */
    public TaskRecord withReady(String name) {
        List<ServiceRecord> all = new ArrayList<>();
        for (ServiceRecord s : services) {
            all.add(s.name().equals(name) ? new ServiceRecord(s.name(), s.pid(), s.startTicks(), true) : s);
        }
        return new TaskRecord(taskId, generation, namespace, all, command, reattachable);
    }

    public ServiceRecord service(String name) {
        return services.stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
    }

    JsonObject toJson() {
        JsonArray list = new JsonArray();
        services.forEach(s -> list.add(new JsonObject().put("name", s.name()).put("pid", s.pid())
                .put("startTicks", s.startTicks()).put("ready", s.ready())));
        return new JsonObject().put("taskId", taskId).put("generation", generation).put("namespace", namespace)
                .put("services", list).put("reattachable", reattachable)
                .put("command", command == null ? null : Base64.getEncoder().encodeToString(command));
    }

    static TaskRecord fromJson(JsonObject json) {
        List<ServiceRecord> services = new ArrayList<>();
        for (Object o : json.getJsonArray("services", new JsonArray())) {
            JsonObject s = (JsonObject) o;
            services.add(new ServiceRecord(s.getString("name"), s.getLong("pid"), s.getLong("startTicks"),
                    s.getBoolean("ready", false)));
        }
        String command = json.getString("command");
        return new TaskRecord(json.getString("taskId"), json.getLong("generation", 0L), json.getString("namespace"),
                services, command == null ? null : Base64.getDecoder().decode(command),
                json.getBoolean("reattachable", false));
    }
}
