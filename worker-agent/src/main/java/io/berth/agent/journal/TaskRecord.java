package io.berth.agent.journal;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * What the agent started for a task, as journalled: enough to find and remove it after a crash.
 *
 * @param namespace name of the network namespace Berth created for the task (null: host or joined)
 */
public record TaskRecord(String taskId, long generation, String namespace, List<ServiceRecord> services) {
    public TaskRecord {
        services = List.copyOf(services);
    }

    /** A launched service: its pid (= process group) and start time, which tells it apart from a reused pid. */
    public record ServiceRecord(String name, long pid, long startTicks) {}

    public TaskRecord withService(ServiceRecord service) {
        List<ServiceRecord> all = new ArrayList<>(services);
        all.removeIf(s -> s.name().equals(service.name()));
        all.add(service);
        return new TaskRecord(taskId, generation, namespace, all);
    }

    JsonObject toJson() {
        JsonArray list = new JsonArray();
        services.forEach(s -> list.add(new JsonObject().put("name", s.name()).put("pid", s.pid())
                .put("startTicks", s.startTicks())));
        return new JsonObject().put("taskId", taskId).put("generation", generation).put("namespace", namespace)
                .put("services", list);
    }

    static TaskRecord fromJson(JsonObject json) {
        List<ServiceRecord> services = new ArrayList<>();
        for (Object o : json.getJsonArray("services", new JsonArray())) {
            JsonObject s = (JsonObject) o;
            services.add(new ServiceRecord(s.getString("name"), s.getLong("pid"), s.getLong("startTicks")));
        }
        return new TaskRecord(json.getString("taskId"), json.getLong("generation", 0L), json.getString("namespace"),
                services);
    }
}
