package io.berth.agent.testing;

import io.berth.agent.supervisor.ServiceEvents;
import io.berth.events.payload.NetworkSpec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

import org.awaitility.Awaitility;

/** Records every service event with the time it arrived, for assertions. */
public final class RecordingEvents implements ServiceEvents {

    public record Event(String type, String service, long atNanos, Map<String, Object> fields) {
        public Object get(String key) {
            return fields.get(key);
        }
    }

    private final List<Event> events = new ArrayList<>();

    private synchronized void add(String type, String service, Map<String, Object> fields) {
        events.add(new Event(type, service, System.nanoTime(), fields));
    }

    public synchronized List<Event> all() {
        return List.copyOf(events);
    }

    public synchronized List<Event> of(String type, String service) {
        return events.stream().filter(e -> e.type.equals(type) && e.service.equals(service)).toList();
    }

    public synchronized Optional<Event> first(String type, String service) {
        return events.stream().filter(e -> e.type.equals(type) && e.service.equals(service)).findFirst();
    }

    /** Waits for the first event of {@code type} for {@code service}. */
    public Event await(String type, String service, Duration atMost) {
        Awaitility.await().atMost(atMost).pollInterval(Duration.ofMillis(2))
                .until(() -> first(type, service).isPresent() || terminal(service, type));
        return first(type, service).orElseThrow(() -> new AssertionError("expected " + type + " for " + service
                + " but got " + describe(e -> e.service.equals(service))));
    }

    private boolean terminal(String service, String awaited) {
        // stop waiting for "ready" once the service failed, so the assertion shows why
        return awaited.equals("ready") && first("failed", service).isPresent();
    }

    public synchronized String describe(Predicate<Event> which) {
        StringBuilder sb = new StringBuilder();
        events.stream().filter(which).forEach(e -> sb.append("\n  ").append(e.type).append(' ').append(e.service)
                .append(' ').append(e.fields));
        return sb.toString();
    }

    @Override
    public void starting(String service, long pid) {
        add("starting", service, Map.of("pid", pid));
    }

    @Override
    public void probe(String service, int attempt, String result, String message) {
        add("probe", service, Map.of("attempt", attempt, "result", result, "message", String.valueOf(message)));
    }

    @Override
    public void ready(String service, NetworkSpec network, String host, Map<String, Integer> ports,
                      long startedAtMillis, Long portOpenAtMillis, long readyAtMillis) {
        var f = new java.util.HashMap<String, Object>();
        f.put("network", network);
        f.put("host", host);
        f.put("ports", ports);
        f.put("startedAt", startedAtMillis);
        f.put("portOpenAt", portOpenAtMillis);
        f.put("readyAt", readyAtMillis);
        add("ready", service, f);
    }

    @Override
    public void failed(String service, String reason, List<String> logTail) {
        add("failed", service, Map.of("reason", reason, "tail", logTail));
    }

    @Override
    public void exited(String service, int exitCode, List<String> logTail) {
        add("exited", service, Map.of("code", exitCode, "tail", logTail));
    }

    @Override
    public io.vertx.core.Future<Void> stopped(String service, String signal, long durationMillis, Integer exitCode) {
        var f = new java.util.HashMap<String, Object>();
        f.put("signal", signal);
        f.put("duration", durationMillis);
        f.put("code", exitCode);
        add("stopped", service, f);
        return io.vertx.core.Future.succeededFuture();
    }
}
