package io.berth.orchestrator.metrics;

import io.berth.orchestrator.gateway.WorkerInfo;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.ToDoubleFunction;

/**
 * The per-worker gauges ({@code berth_worker_connected}, {@code _draining}, {@code _capacity},
 * {@code _services_active}, {@code _tasks_active}): registered once when a worker is first seen, removed when it is
 * gone, and read on scrape from the numbers of the last {@link #update}. Re-registering five MultiGauges of a
 * thousand rows every second instead was a fifth of an instance's CPU with a thousand workers; an update now only
 * writes five numbers per worker.
 */
final class WorkerGauges {
    private final MeterRegistry registry;
    private final Consumer<String> firstSeen;
    /** Written by {@link #update} (one thread at a time), read by scrapes on any thread. */
    private final Map<String, Reading> workers = new ConcurrentHashMap<>();

    /** @param firstSeen called once per newly seen worker (its other per-worker meters start at 0 there) */
    WorkerGauges(MeterRegistry registry, Consumer<String> firstSeen) {
        this.registry = registry;
        this.firstSeen = firstSeen;
    }

    /** Takes the workers' current numbers; workers no longer listed disappear from the scrape. */
    void update(List<WorkerInfo> now, Map<String, Integer> tasksByWorker) {
        Set<String> listed = new HashSet<>();
        for (WorkerInfo w : now) {
            listed.add(w.worker());
            Reading r = workers.get(w.worker());
            if (r == null) {
                r = register(w.worker());
                workers.put(w.worker(), r);
                firstSeen.accept(w.worker());
            }
            r.connected = w.connected() ? 1 : 0;
            r.draining = w.draining() ? 1 : 0;
            r.capacity = w.capacity();
            r.services = w.activeServices();
            r.tasks = tasksByWorker.getOrDefault(w.worker(), 0);
        }
        for (Iterator<Map.Entry<String, Reading>> it = workers.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Reading> e = it.next();
            if (!listed.contains(e.getKey())) {
                e.getValue().meters.forEach(registry::remove);
                it.remove();
            }
        }
    }

    private Reading register(String worker) {
        Reading r = new Reading();
        Tags tags = Tags.of("worker", worker);
        r.meters = List.of(
                gauge("berth.worker.connected", "1 while the worker's agent is connected", tags, r, x -> x.connected),
                gauge("berth.worker.draining", "1 while no new tasks are placed on the worker", tags, r,
                        x -> x.draining),
                gauge("berth.worker.capacity", "services the worker runs at most (0: unlimited)", tags, r,
                        x -> x.capacity),
                gauge("berth.worker.services.active", "services active on the worker, as its agent reports", tags, r,
                        x -> x.services),
                gauge("berth.worker.tasks.active", "tasks placed on the worker that hold services", tags, r,
                        x -> x.tasks));
        return r;
    }

    private Meter gauge(String name, String description, Tags tags, Reading r, ToDoubleFunction<Reading> value) {
        return Gauge.builder(name, r, value).description(description).tags(tags).strongReference(true)
                .register(registry);
    }

    /** One worker's numbers as of the last update. */
    private static final class Reading {
        volatile int connected;
        volatile int draining;
        volatile int capacity;
        volatile int services;
        volatile int tasks;
        List<Meter> meters = List.of();
    }
}
