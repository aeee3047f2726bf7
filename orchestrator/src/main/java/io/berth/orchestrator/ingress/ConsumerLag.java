package io.berth.orchestrator.ingress;

import org.apache.kafka.clients.consumer.Consumer;

/** How far the consumer trails the partitions it reads: Kafka's own client-level {@code records-lag-max}. */
public final class ConsumerLag {
    private ConsumerLag() {}

    /** The consumer's records-lag-max (its metrics map is safe to read from any thread); 0 once it is closed. */
    public static Double recordsLagMax(Consumer<?, ?> consumer) {
        try {
            for (var e : consumer.metrics().entrySet()) {
                var name = e.getKey();
                if (name.name().equals("records-lag-max") && name.group().equals("consumer-fetch-manager-metrics")
                        && !name.tags().containsKey("topic") && e.getValue().metricValue() instanceof Double d) {
                    return d;
                }
            }
        } catch (RuntimeException closed) {
            // the consumer is closed: no lag to report
        }
        return 0.0;
    }
}
