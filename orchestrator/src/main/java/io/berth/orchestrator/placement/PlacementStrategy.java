package io.berth.orchestrator.placement;

import java.util.List;

/** One link of the placement chain: filters and/or orders the candidates left by the previous link. */
public interface PlacementStrategy {

    /** Named in the error when this strategy leaves no candidate. */
    String name();

    /** The candidates this strategy keeps, best first. Must not modify {@code candidates}. */
    List<WorkerCandidate> choose(PlacementRequest request, List<WorkerCandidate> candidates);

    /** Why this strategy kept no candidate for the request, in the words of the placement error. */
    default String whyNone(PlacementRequest request) {
        return "no candidate left";
    }
}
