package io.berth.orchestrator.placement;

import java.util.Comparator;
import java.util.List;
import java.util.function.BiPredicate;
import java.util.function.Function;

/** The built-in placement strategies and the preference among the workers they keep. */
public final class Strategies {
    private Strategies() {}

    /** The task's own worker, when {@code task.started} names one (the proposal's placement). */
    public static PlacementStrategy requestedWorker() {
        return strategy("requested-worker",
                (request, c) -> request.worker() == null || c.worker().equals(request.worker()),
                request -> "the task's worker " + request.worker() + " is not connected");
    }

    /** Leaves out workers being drained, unless the task names that worker (its services must run there). */
    public static PlacementStrategy notDraining() {
        return strategy("not-draining", (request, c) -> !c.draining() || c.worker().equals(request.worker()),
                request -> "every worker is draining");
    }

    /** Workers with room for all of the task's services. */
    public static PlacementStrategy hasCapacity() {
        return strategy("has-capacity", (request, c) -> c.fits(request.services()),
                request -> "no worker has room for " + request.services() + " more service(s)");
    }

    /** Among the workers every strategy kept: fewest active services first, then by name for a stable choice. */
    public static final Comparator<WorkerCandidate> FEWEST_ACTIVE_SERVICES =
            Comparator.comparingInt(WorkerCandidate::activeServices).thenComparing(WorkerCandidate::worker);

    /** The default chain: requested worker, not draining, has capacity (then {@link #FEWEST_ACTIVE_SERVICES}). */
    public static List<PlacementStrategy> defaultChain() {
        return List.of(requestedWorker(), notDraining(), hasCapacity());
    }

    private static PlacementStrategy strategy(String name, BiPredicate<PlacementRequest, WorkerCandidate> keeps,
                                              Function<PlacementRequest, String> whyNone) {
        return new PlacementStrategy() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public boolean keeps(PlacementRequest request, WorkerCandidate candidate) {
                return keeps.test(request, candidate);
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
}
