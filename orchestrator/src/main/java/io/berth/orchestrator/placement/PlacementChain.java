package io.berth.orchestrator.placement;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Chooses a worker by running the candidates through a chain of strategies, then reserves capacity on the
 * chosen one; a reservation is released when the task's services are gone or when starting them failed
 * (rollback). Reservations count into {@link WorkerCandidate#activeServices()}, so two tasks placed
 * between two heartbeats do not both take the last slot. Not thread-safe (one Vert.x context).
 */
public final class PlacementChain {
    private final List<PlacementStrategy> strategies;
    private final Map<String, Reservation> reservations = new HashMap<>();

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
            candidates.add(new WorkerCandidate(c.worker(), c.capacity(),
                    Math.max(c.activeServices(), reservedOn(c.worker())), c.draining()));
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
        return reservation;
    }

    /** Gives back the task's reservation (rollback or release); idempotent. */
    public void release(String taskId) {
        reservations.remove(taskId);
    }

    public Optional<Reservation> reservation(String taskId) {
        return Optional.ofNullable(reservations.get(taskId));
    }

    /** Services reserved on {@code worker} by tasks placed there and not yet released. */
    public int reservedOn(String worker) {
        return reservations.values().stream().filter(r -> r.worker().equals(worker))
                .mapToInt(Reservation::services).sum();
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
