package io.berth.orchestrator.placement;

/**
 * A connected worker as placement sees it.
 *
 * @param capacity       the most services the agent runs at once; 0 or less means unlimited
 * @param activeServices services running or reserved there
 * @param draining       an operator asked for no new tasks on it
 */
public record WorkerCandidate(String worker, int capacity, int activeServices, boolean draining) {

    /** Room for {@code services} more services. */
    public boolean fits(int services) {
        return capacity <= 0 || activeServices + services <= capacity;
    }
}
