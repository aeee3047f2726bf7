package io.berth.orchestrator.placement;

/**
 * One filtering link of the placement chain: keeps or leaves out one candidate at a time, so the chain decides in a
 * single pass over the connected workers (no list per link, no sort of a thousand workers per placement).
 */
public interface PlacementStrategy {

    /** Named in the error when this strategy leaves no candidate. */
    String name();

    /** Whether {@code candidate} can take the request, as far as this strategy is concerned. */
    boolean keeps(PlacementRequest request, WorkerCandidate candidate);

    /** Why this strategy kept no candidate for the request, in the words of the placement error. */
    default String whyNone(PlacementRequest request) {
        return "no candidate left";
    }
}
