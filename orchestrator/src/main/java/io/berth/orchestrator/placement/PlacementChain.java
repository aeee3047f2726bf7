package io.berth.orchestrator.placement;

import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Chooses a worker by running candidates through a chain of filtering strategies and taking the first one the
 * preference orders best that every strategy keeps, then reserves capacity on it; a reservation is released when the
 * task's services are gone or when starting them failed (rollback).
 *
 * <p>The chain keeps the connected workers itself ({@link #update}, {@link #gone}), in an index ordered by the
 * preference over their counted load; workers no unnamed task can take (draining, full) are left out of it. A
 * placement walks the index from the best end and usually stops at its first worker: with a thousand workers,
 * building and sorting every candidate per placement was a quarter of an instance's CPU. When the index yields no
 * worker, every worker goes through the chain, which names the strategy that left none.
 *
 * <p>Reservations count into a worker's {@link WorkerCandidate#activeServices()}, so two tasks placed between two
 * heartbeats do not both take the last slot. Another orchestrator instance's tasks are only seen in the agent's
 * heartbeats; when the agent refuses a start for want of room, the worker counts as full until it heartbeats again
 * ({@link #markFull}). Not thread-safe (one Vert.x context).
 */
public final class PlacementChain {
    private final List<PlacementStrategy> strategies;
    private final Comparator<WorkerCandidate> preference;
    private final Map<String, Reservation> reservations = new HashMap<>();
    /**
     * Services reserved per worker, kept with {@link #reservations} (also while the worker is away): summing the
     * reservations instead cost workers × live tasks per placement.
     */
    private final Map<String, Integer> reservedByWorker = new HashMap<>();
    /** Workers that refused a start for want of room, until they heartbeat again (other instances filled them). */
    private final Set<String> full = new HashSet<>();
    /** The connected workers, by name. */
    private final Map<String, Slot> workers = new HashMap<>();
    /** The connected workers an unnamed task may go to, best first. */
    private final NavigableSet<Slot> byPreference;

    public PlacementChain(List<PlacementStrategy> strategies, Comparator<WorkerCandidate> preference) {
        this.strategies = List.copyOf(strategies);
        this.preference = preference;
        this.byPreference = new TreeSet<>(Comparator.comparing((Slot s) -> s.counted, preference)
                .thenComparing(s -> s.counted.worker()));
    }

    public static PlacementChain standard() {
        return new PlacementChain(Strategies.defaultChain(), Strategies.FEWEST_ACTIVE_SERVICES);
    }

    /** The worker connected, or said how it is (heartbeat, draining). */
    public void update(WorkerCandidate reported) {
        Slot slot = workers.get(reported.worker());
        if (slot == null) {
            slot = new Slot();
            workers.put(reported.worker(), slot);
        } else {
            byPreference.remove(slot);
        }
        slot.reported = reported;
        index(slot);
    }

    /** The worker is no longer connected: nothing is placed on it until it is {@link #update updated} again. */
    public void gone(String worker) {
        Slot slot = workers.remove(worker);
        if (slot != null) {
            byPreference.remove(slot);
        }
    }

    /** Exactly {@code connected} are connected now (tests, and callers that know the whole set). */
    public void sync(List<WorkerCandidate> connected) {
        Set<String> names = new HashSet<>();
        connected.forEach(c -> names.add(c.worker()));
        List.copyOf(workers.keySet()).stream().filter(w -> !names.contains(w)).forEach(this::gone);
        connected.forEach(this::update);
    }

    /** {@link #sync Syncs} the workers to {@code connected}, then {@link #place(PlacementRequest) places}. */
    public Reservation place(PlacementRequest request, List<WorkerCandidate> connected) {
        sync(connected);
        return place(request);
    }

    /**
     * Picks and reserves a worker for the request among the connected workers.
     *
     * @throws NoWorkerException naming the strategy that left no candidate
     */
    public Reservation place(PlacementRequest request) {
        Reservation existing = reservations.get(request.taskId());
        if (existing != null) {
            return existing;
        }
        if (workers.isEmpty()) {
            throw new NoWorkerException("connected", "no worker agent is connected");
        }
        WorkerCandidate chosen = null;
        if (request.worker() != null) {
            Slot named = workers.get(request.worker());
            if (named != null && keptByAll(request, named.counted)) {
                chosen = named.counted;
            }
        } else {
            for (Slot slot : byPreference) {
                if (keptByAll(request, slot.counted)) {
                    chosen = slot.counted;
                    break;
                }
            }
        }
        if (chosen == null) {
            chosen = bestOfAll(request);
        }
        Reservation reservation = new Reservation(request.taskId(), chosen.worker(), request.services());
        reservations.put(request.taskId(), reservation);
        reservedByWorker.merge(reservation.worker(), reservation.services(), Integer::sum);
        reindex(reservation.worker());
        return reservation;
    }

    /** Every worker through the chain (the index had none): the best kept one, or the error naming the strategy. */
    private WorkerCandidate bestOfAll(PlacementRequest request) {
        List<WorkerCandidate> candidates = workers.values().stream().map(s -> s.counted)
                .sorted(Comparator.comparing(WorkerCandidate::worker)).toList();
        for (PlacementStrategy strategy : strategies) {
            List<WorkerCandidate> kept = candidates.stream().filter(c -> strategy.keeps(request, c)).toList();
            if (kept.isEmpty()) {
                throw new NoWorkerException(strategy.name(), explain(strategy, request, candidates));
            }
            candidates = kept;
        }
        return candidates.stream().min(preference.thenComparing(WorkerCandidate::worker)).orElseThrow();
    }

    private boolean keptByAll(PlacementRequest request, WorkerCandidate c) {
        for (PlacementStrategy strategy : strategies) {
            if (!strategy.keeps(request, c)) {
                return false;
            }
        }
        return true;
    }

    /** Recounts a worker after its reservations or fullness changed. */
    private void reindex(String worker) {
        Slot slot = workers.get(worker);
        if (slot != null) {
            byPreference.remove(slot);
            index(slot);
        }
    }

    /** Counts the slot's load and puts it in the index unless no unnamed task can go there. Not in it on entry. */
    private void index(Slot slot) {
        WorkerCandidate c = slot.reported;
        int active = c.capacity() > 0 && full.contains(c.worker()) ? c.capacity()
                : Math.max(c.activeServices(), reservedOn(c.worker()));
        slot.counted = active == c.activeServices() ? c
                : new WorkerCandidate(c.worker(), c.capacity(), active, c.draining());
        boolean roomForOne = slot.counted.capacity() <= 0 || slot.counted.activeServices() < slot.counted.capacity();
        if (!slot.counted.draining() && roomForOne) {
            byPreference.add(slot);
        }
    }

    /** A connected worker: as its agent last reported it, and as placement counts it. */
    private static final class Slot {
        WorkerCandidate reported;
        WorkerCandidate counted;
    }

    /** Gives back the task's reservation (rollback or release); idempotent. */
    public void release(String taskId) {
        Reservation gone = reservations.remove(taskId);
        if (gone != null) {
            reservedByWorker.computeIfPresent(gone.worker(), (w, n) -> n == gone.services() ? null : n - gone.services());
            reindex(gone.worker());
        }
    }

    /**
     * The worker refused a start for want of room: it counts as full until {@link #heardFrom} — its heartbeat then
     * says how many services it runs, those other orchestrator instances started included.
     */
    public void markFull(String worker) {
        full.add(worker);
        reindex(worker);
    }

    /** The worker sent a heartbeat (or changed otherwise): what it says counts again. */
    public void heardFrom(String worker) {
        if (full.remove(worker)) {
            reindex(worker);
        }
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
