package io.berth.agent.testing;

import io.berth.agent.supervisor.ServiceEvents;
import io.berth.events.payload.ServiceEvent;
import io.berth.events.payload.ServiceExited;
import io.berth.events.payload.ServiceFailed;
import io.berth.events.payload.ServiceProbe;
import io.berth.events.payload.ServiceReady;
import io.berth.events.payload.ServiceStarting;
import io.berth.events.payload.ServiceStopped;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
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

    /** Records {@code event} under its short name ({@code ServiceReady}: {@code ready}) with its fields. */
    @Override
    public io.vertx.core.Future<Void> emit(ServiceEvent event) {
        Map<String, Object> f = new HashMap<>();
        String type;
        if (event instanceof ServiceStarting e) {
            type = "starting";
            f.put("pid", e.pid());
        } else if (event instanceof ServiceProbe e) {
            type = "probe";
            f.put("attempt", e.attempt());
            f.put("result", e.result());
            f.put("message", String.valueOf(e.message()));
        } else if (event instanceof ServiceReady e) {
            type = "ready";
            f.put("network", e.network());
            f.put("host", e.host());
            f.put("ports", e.ports());
            f.put("startedAt", e.startedAtMillis());
            f.put("portOpenAt", e.portOpenAtMillis());
            f.put("readyAt", e.readyAtMillis());
        } else if (event instanceof ServiceFailed e) {
            type = "failed";
            f.put("reason", e.reason());
            f.put("tail", e.logTail());
        } else if (event instanceof ServiceExited e) {
            type = "exited";
            f.put("code", e.exitCode());
            f.put("tail", e.logTail());
        } else {
            ServiceStopped e = (ServiceStopped) event;
            type = "stopped";
            f.put("signal", e.signal());
            f.put("duration", e.durationMillis());
            f.put("code", e.exitCode());
        }
        add(type, event.service(), f);
        return io.vertx.core.Future.succeededFuture();
    }
}
