package io.berth.orchestrator.view;

/**
 * Whether the orchestrator can do its work.
 *
 * @param kafka Kafka reachable (topics ensured, producer created) and the consumer assigned its partitions and polling
 * @param state the task state of the partitions it owns loaded, so what it holds is current
 */
public record Readiness(boolean kafka, boolean state) {
    public boolean ready() {
        return kafka && state;
    }
}
