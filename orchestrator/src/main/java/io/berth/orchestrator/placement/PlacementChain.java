package io.berth.orchestrator.placement;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Chooses a worker by running the candidates through a chain of strategies, then reserves capacity on the
 * chosen one; a reservation is released when the task's services are gone or when starting them failed
 * (rollback). Reservations count into {@link WorkerCandidate#activeServices()}, so two tasks placed
 * between two heartbeats do not both take the last slot. Another orchestrator instance's tasks are only seen in the
 * agent's heartbeats; when the agent refuses a start for want of room, the worker counts as full until it
 * heartbeats again ({@link #markFull}). Not thread-safe (one Vert.x context).
 */
public final class PlacementChain {
    private final List<PlacementStrategy> strategies;
    private final Map<String, Reservation> reservations = new HashMap<>();
    /**
     * Services reserved per worker, kept with {@link #reservations}: each placement reads it for every connected
     * worker, so summing the reservations instead cost workers × live tasks per placement (the first bottleneck of
     * an orchestrator with a thousand workers).
     */
    private final Map<String, Integer> reservedByWorker = new HashMap<>();
    /** Workers that refused a start for want of room, until they heartbeat again (other instances filled them). */
    private final Set<String> full = new HashSet<>();

    public PlacementChain(List<PlacementStrategy> strategies) {
        this.strategies = List.copyOf(strategies);
    }

    public static PlacementChain standard() {
        return new PlacementChain(Strategies.defaultChain());
    }

    /**
     * Picks and reserves a worker for the request among {@code connected} workers.
     *
     * @throws NoWorkerException naming the strategy that left no candidate
     */
    public Reservation place(PlacementRequest request, List<WorkerCandidate> connected) {
        Reservation existing = reservations.get(request.taskId());
        if (existing != null) {
            return existing;
        }
        List<WorkerCandidate> candidates = new ArrayList<>();
        for (WorkerCandidate c : connected) {
            int active = full.contains(c.worker()) && c.capacity() > 0 ? c.capacity()
                    : Math.max(c.activeServices(), reservedOn(c.worker()));
            candidates.add(new WorkerCandidate(c.worker(), c.capacity(), active, c.draining()));
        }
        if (candidates.isEmpty()) {
            throw new NoWorkerException("connected", "no worker agent is connected");
        }
        for (PlacementStrategy strategy : strategies) {
            List<WorkerCandidate> kept = strategy.choose(request, candidates);
            if (kept.isEmpty()) {
                throw new NoWorkerException(strategy.name(), explain(strategy, request, candidates));
            }
            candidates = kept;
        }
        Reservation reservation = new Reservation(request.taskId(), candidates.get(0).worker(), request.services());
        reservations.put(request.taskId(), reservation);
        reservedByWorker.merge(reservation.worker(), reservation.services(), Integer::sum);
        return reservation;
    }

    /** Gives back the task's reservation (rollback or release); idempotent. */
    public void release(String taskId) {
        Reservation gone = reservations.remove(taskId);
        if (gone != null) {
            reservedByWorker.computeIfPresent(gone.worker(), (w, n) -> n == gone.services() ? null : n - gone.services());
        }
    }

    /**
     * The worker refused a start for want of room: it counts as full until {@link #heardFrom} — its heartbeat then
     * says how many services it runs, those other orchestrator instances started included.
     */
    public void markFull(String worker) {
        full.add(worker);
    }

    /** The worker sent a heartbeat (or changed otherwise): what it says counts again. */
    public void heardFrom(String worker) {
        full.remove(worker);
    }

    public Optional<Reservation> reservation(String taskId) {
        return Optional.ofNullable(reservations.get(taskId));
    }

    /** Services reserved on {@code worker} by tasks placed there and not yet released. */
    public int reservedOn(String worker) {
        return reservedByWorker.getOrDefault(worker, 0);
    }

    private static String explain(PlacementStrategy strategy, PlacementRequest request,
                                  List<WorkerCandidate> candidates) {
        String seen = candidates.stream()
                .map(c -> c.worker() + " (" + c.activeServices() + "/" + (c.capacity() <= 0 ? "∞" : c.capacity())
                        + (c.draining() ? ", draining" : "") + ")")
                .collect(Collectors.joining(", "));
        return "no worker for task " + request.taskId() + ": strategy '" + strategy.name() + "' left no candidate ("
                + strategy.whyNone(request) + "; candidates: " + seen + ")";
    }

    /** Capacity held on a worker for one task. */
    public record Reservation(String taskId, String worker, int services) {}
}
