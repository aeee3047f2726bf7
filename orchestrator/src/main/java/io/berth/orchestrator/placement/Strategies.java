package io.berth.orchestrator.placement;

import java.util.Comparator;
import java.util.List;

/** The built-in placement strategies. */
public final class Strategies {
    private Strategies() {}

    /** The task's own worker, when {@code task.started} names one (the proposal's placement). */
    public static PlacementStrategy requestedWorker() {
        return strategy("requested-worker", (request, candidates) -> request.worker() == null
                ? candidates
                : candidates.stream().filter(c -> c.worker().equals(request.worker())).toList(),
                request -> "the task's worker " + request.worker() + " is not connected");
    }

    /** Leaves out workers being drained, unless the task names that worker (its services must run there). */
    public static PlacementStrategy notDraining() {
        return strategy("not-draining", (request, candidates) -> candidates.stream()
                .filter(c -> !c.draining() || c.worker().equals(request.worker())).toList(),
                request -> "every worker is draining");
    }

    /** Workers with room for all of the task's services. */
    public static PlacementStrategy hasCapacity() {
        return strategy("has-capacity", (request, candidates) -> candidates.stream()
                .filter(c -> c.fits(request.services())).toList(),
                request -> "no worker has room for " + request.services() + " more service(s)");
    }

    /** Orders by fewest active services, then by name for a stable choice. */
    public static PlacementStrategy fewestActiveServices() {
        return strategy("fewest-active-services", (request, candidates) -> candidates.stream()
                .sorted(Comparator.comparingInt(WorkerCandidate::activeServices)
                        .thenComparing(WorkerCandidate::worker))
                .toList(), request -> "no candidate left");
    }

    /** The default chain: requested worker, not draining, has capacity, fewest active services. */
    public static List<PlacementStrategy> defaultChain() {
        return List.of(requestedWorker(), notDraining(), hasCapacity(), fewestActiveServices());
    }

    private static PlacementStrategy strategy(String name, Choice choice,
                                              java.util.function.Function<PlacementRequest, String> whyNone) {
        return new PlacementStrategy() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public List<WorkerCandidate> choose(PlacementRequest request, List<WorkerCandidate> candidates) {
                return choice.choose(request, candidates);
            }

            @Override
            public String whyNone(PlacementRequest request) {
                return whyNone.apply(request);
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }

    @FunctionalInterface
    private interface Choice {
        List<WorkerCandidate> choose(PlacementRequest request, List<WorkerCandidate> candidates);
    }
}
