package io.berth.orchestrator.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.berth.events.EventTypes;
import io.berth.events.config.Secrets;
import io.berth.events.json.Json;
import io.berth.events.payload.ServiceReady;
import io.berth.events.payload.ServiceStopped;
import io.berth.events.payload.SvcVariables;
import io.berth.orchestrator.gateway.WorkerInfo;
import io.berth.orchestrator.state.Task.TimelineEntry;
import io.berth.orchestrator.view.ServiceView;
import io.berth.orchestrator.view.TaskView;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The admin API's JSON documents (snake_case, as described in openapi.yaml), built from the orchestrator's views.
 * Every text that may carry a service's output or config has the task's secret param values masked.
 */
final class Views {
    private Views() {}

    static ObjectNode worker(WorkerInfo w, int activeTasks) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("name", w.worker());
        out.put("connected", w.connected());
        if (w.connected() && w.connectedAtMillis() > 0) {
            out.put("connected_since", time(w.connectedAtMillis()));
        }
        if (w.lastSeenMillis() > 0) {
            out.put("last_heartbeat", time(w.lastSeenMillis()));
        }
        ArrayNode runtimes = out.putArray("runtimes");
        w.runtimes().forEach(runtimes::add);
        ArrayNode modes = out.putArray("network_modes");
        if (w.networkModes() != null) {
            Arrays.stream(w.networkModes().split(",")).map(String::trim).filter(m -> !m.isEmpty()).forEach(modes::add);
        }
        out.put("capacity", w.capacity());
        out.put("active_services", w.activeServices());
        out.put("active_tasks", activeTasks);
        out.put("draining", w.draining());
        out.put("pending_commands", w.pendingCommands());
        return out;
    }

    /** Tasks holding services, per worker. */
    static Map<String, Integer> activeTasksByWorker(Collection<TaskView> tasks) {
        Map<String, Integer> out = new java.util.HashMap<>();
        for (TaskView t : tasks) {
            if (t.worker() != null && holdsServices(t.phase())) {
                out.merge(t.worker(), 1, Integer::sum);
            }
        }
        return out;
    }

    static boolean holdsServices(String phase) {
        return phase.equals("STARTING") || phase.equals("READY") || phase.equals("FAILED") || phase.equals("STOPPING");
    }

    static ObjectNode taskSummary(TaskView t) {
        Set<String> secrets = secrets(t);
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("id", t.taskId());
        out.put("state", t.phase().toLowerCase());
        putText(out, "worker", t.worker() != null ? t.worker() : t.requestedWorker(), secrets);
        putText(out, "failure", t.failure(), secrets);
        putText(out, "ended_outcome", t.endedOutcome(), secrets);
        Long started = at(t.timeline(), EventTypes.TASK_STARTED);
        if (started != null) {
            out.put("started_at", time(started));
        }
        if (t.updatedAtMillis() > 0) {
            out.put("updated_at", time(t.updatedAtMillis()));
        }
        ArrayNode services = out.putArray("services");
        for (ServiceView s : t.services()) {
            services.addObject().put("name", s.name()).put("state", s.status().toLowerCase());
        }
        return out;
    }

    static ObjectNode task(TaskView t, String pathPrefix) {
        Set<String> secrets = secrets(t);
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("id", t.taskId());
        out.put("state", t.phase().toLowerCase());
        putText(out, "worker", t.worker(), secrets);
        putText(out, "requested_worker", t.requestedWorker(), secrets);
        out.put("generation", t.generation());
        putText(out, "failure", t.failure(), secrets);
        putText(out, "ended_outcome", t.endedOutcome(), secrets);
        t.services().stream().map(ServiceView::ready).filter(r -> r != null && r.network() != null).findFirst()
                .ifPresent(r -> out.set("network", Json.MAPPER.valueToTree(r.network())));
        Long started = at(t.timeline(), EventTypes.TASK_STARTED);
        Long ready = at(t.timeline(), EventTypes.TASK_SERVICES_READY);
        Long released = at(t.timeline(), EventTypes.TASK_SERVICES_RELEASED);
        if (started != null) {
            out.put("started_at", time(started));
        }
        if (ready != null) {
            out.put("ready_at", time(ready));
        }
        if (released != null) {
            out.put("released_at", time(released));
        }
        if (t.updatedAtMillis() > 0) {
            out.put("updated_at", time(t.updatedAtMillis()));
        }
        if (started != null && ready != null) {
            out.put("time_to_ready_ms", Math.max(0, ready - started));
        }
        ArrayNode timeline = out.putArray("timeline");
        for (TimelineEntry e : t.timeline()) {
            ObjectNode entry = timeline.addObject();
            entry.put("at", time(e.atMillis()));
            entry.put("event", e.event());
            putText(entry, "service", e.service(), secrets);
            putText(entry, "detail", e.detail(), secrets);
        }
        ArrayNode services = out.putArray("services");
        ArrayNode releases = null;
        for (ServiceView s : t.services()) {
            services.add(service(s, secrets, pathPrefix + "/services/" + s.name() + "/logs"));
            ServiceStopped stopped = s.stopped();
            if (stopped != null && t.phase().equals("RELEASED")) {
                if (releases == null) {
                    releases = out.putObject("release").putArray("services");
                }
                ObjectNode r = releases.addObject();
                r.put("name", s.name());
                r.put("signal", stopped.signal());
                r.put("duration_ms", stopped.durationMillis());
                if (stopped.exitCode() != null) {
                    r.put("exit_code", stopped.exitCode());
                }
            }
        }
        if (releases == null && t.phase().equals("RELEASED")) {
            out.putObject("release").putArray("services");
        }
        return out;
    }

    private static ObjectNode service(ServiceView s, Set<String> secrets, String logsPath) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("name", s.name());
        out.put("state", s.status().toLowerCase());
        out.put("probe_attempts", s.probeAttempts());
        ServiceReady ready = s.ready();
        if (ready != null) {
            out.put("started_at", time(ready.startedAtMillis()));
            if (ready.portOpenAtMillis() != null) {
                out.put("port_open_at", time(ready.portOpenAtMillis()));
                out.put("readiness_lag_ms", Math.max(0, ready.readyAtMillis() - ready.portOpenAtMillis()));
            }
            out.put("ready_at", time(ready.readyAtMillis()));
            out.set("svc", Json.MAPPER.valueToTree(SvcVariables.of(ready.host(), ready.ports())));
        }
        if (s.exitCode() != null) {
            out.put("exit_code", s.exitCode());
        }
        putText(out, "failure_reason", s.failureReason(), secrets);
        if (s.logTail() != null && !s.logTail().isEmpty()) {
            ArrayNode tail = out.putArray("log_tail");
            s.logTail().forEach(line -> tail.add(Secrets.mask(line, secrets)));
        }
        if (s.stopped() != null) {
            ObjectNode stopped = out.putObject("stopped");
            stopped.put("signal", s.stopped().signal());
            stopped.put("duration_ms", s.stopped().durationMillis());
            if (s.stopped().exitCode() != null) {
                stopped.put("exit_code", s.stopped().exitCode());
            }
        }
        JsonNode config = maskedConfig(s.configJson(), secrets);
        if (config != null) {
            out.set("config", config);
        }
        out.put("logs", logsPath);
        return out;
    }

    /** The secret param values of every service of the task, longest first. */
    static Set<String> secrets(TaskView t) {
        Set<String> out = new TreeSet<>((a, b) -> a.length() != b.length() ? b.length() - a.length() : a.compareTo(b));
        for (ServiceView s : t.services()) {
            JsonNode params = params(s.configJson());
            if (params != null) {
                out.addAll(Secrets.values(Json.MAPPER.convertValue(params, Map.class)));
            }
        }
        return out;
    }

    private static JsonNode params(String configJson) {
        if (configJson == null) {
            return null;
        }
        try {
            JsonNode params = Json.MAPPER.readTree(configJson).get("params");
            return params != null && params.isObject() ? params : null;
        } catch (Exception e) {
            return null;
        }
    }

    private static JsonNode maskedConfig(String configJson, Set<String> secrets) {
        if (configJson == null) {
            return null;
        }
        try {
            JsonNode config = Json.MAPPER.readTree(configJson);
            if (config instanceof ObjectNode object && object.get("params") instanceof ObjectNode params) {
                for (Iterator<String> names = params.fieldNames(); names.hasNext(); ) {
                    String name = names.next();
                    if (Secrets.isSecretName(name)) {
                        params.put(name, Secrets.MASK);
                    }
                }
            }
            // a secret may also be spelled out elsewhere (e.g. in run.args)
            return Json.MAPPER.readTree(Secrets.mask(Json.MAPPER.writeValueAsString(config), secrets));
        } catch (Exception e) {
            return null;
        }
    }

    private static void putText(ObjectNode node, String field, String value, Set<String> secrets) {
        if (value != null) {
            node.put(field, Secrets.mask(value, secrets));
        }
    }

    private static Long at(List<TimelineEntry> timeline, String event) {
        return timeline.stream().filter(e -> e.event().equals(event)).map(TimelineEntry::atMillis).findFirst()
                .orElse(null);
    }

    static String time(long epochMillis) {
        return Instant.ofEpochMilli(epochMillis).toString();
    }
}
