package io.berth.orchestrator;

import io.berth.events.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates Berth's five topics when they are missing: the task and service topics with the same partition
 * count (they are co-partitioned by task id), the dead-letter topic, and the compacted orchestrator state.
 * Existing topics are left as they are. Replication factor: the broker's default.
 */
public final class BerthTopics {
    public static final List<String> ALL = List.of(Topics.TASK_EVENTS, Topics.SERVICE_EVENTS, Topics.TASK_SERVICES,
            Topics.DEAD_LETTER, Topics.ORCHESTRATOR_STATE);

    private BerthTopics() {}

    public static void ensure(String bootstrapServers, int partitions) {
        try (Admin admin = Admin.create(io.berth.events.KafkaSecurity.with(
                Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers)))) {
            ensure(admin, partitions);
        }
    }

    public static void ensure(Admin admin, int partitions) {
        List<NewTopic> topics = new ArrayList<>();
        for (String name : ALL) {
            NewTopic topic = new NewTopic(name, java.util.Optional.of(partitions), java.util.Optional.empty());
            if (name.equals(Topics.ORCHESTRATOR_STATE)) {
                topic.configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
            }
            topics.add(topic);
        }
        admin.createTopics(topics).values().forEach((name, result) -> {
            try {
                result.get();
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("cannot create topic " + name + ": " + e.getCause().getMessage(),
                            e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while creating topic " + name, e);
            }
        });
    }
}
