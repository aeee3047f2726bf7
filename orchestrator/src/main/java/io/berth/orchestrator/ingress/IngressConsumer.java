package io.berth.orchestrator.ingress;

import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The Kafka consumer the ingress reads with: committed by hand, reading from the earliest offset when the group has
 * none, and assigned by the range assignor, which keeps the task and service topics co-partitioned.
 */
public final class IngressConsumer {
    /** Kafka's default session timeout. */
    public static final long DEFAULT_SESSION_TIMEOUT_MILLIS = 45_000;

    private IngressConsumer() {}

    /** A consumer in group {@code groupId} with Kafka's default session timeout. */
    public static Consumer<String, byte[]> create(String bootstrapServers, String groupId, String clientId) {
        return create(bootstrapServers, groupId, clientId, DEFAULT_SESSION_TIMEOUT_MILLIS);
    }

    /**
     * @param sessionTimeoutMillis how long the group waits for a silent (killed) member before its partitions go to
     *                             the others
     */
    public static Consumer<String, byte[]> create(String bootstrapServers, String groupId, String clientId,
                                                  long sessionTimeoutMillis) {
        return new KafkaConsumer<>(io.berth.events.KafkaSecurity.with(Map.of(
                ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) sessionTimeoutMillis,
                // members learn of a rebalance (another instance left or joined) on their next heartbeat
                ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG,
                (int) Math.max(100, Math.min(1_000, sessionTimeoutMillis / 3)),
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, groupId,
                ConsumerConfig.CLIENT_ID_CONFIG, clientId,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RangeAssignor.class.getName(),
                ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500)),
                new StringDeserializer(), new ByteArrayDeserializer());
    }
}
