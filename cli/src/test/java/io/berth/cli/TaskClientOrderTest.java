package io.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.events.Topics;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** What `berth run` and the tests read of one poll: a task's outcome after the service events it follows from. */
class TaskClientOrderTest {

    @Test
    void aPollThatHandsOverTheOutcomeFirst_isReadServicesFirst_eachPartitionInItsOrder() {
        Map<TopicPartition, List<ConsumerRecord<String, byte[]>>> byPartition = new LinkedHashMap<>();
        byPartition.put(new TopicPartition(Topics.TASK_SERVICES, 1), List.of(record(Topics.TASK_SERVICES, 1, "ready")));
        byPartition.put(new TopicPartition(Topics.SERVICE_EVENTS, 1), List.of(
                record(Topics.SERVICE_EVENTS, 1, "db starting"), record(Topics.SERVICE_EVENTS, 1, "db ready")));
        byPartition.put(new TopicPartition(Topics.SERVICE_EVENTS, 0), List.of(
                record(Topics.SERVICE_EVENTS, 0, "other starting")));
        ConsumerRecords<String, byte[]> poll = new ConsumerRecords<>(byPartition, Map.of());
        assertThat(poll.iterator().next().value()).as("the poll itself hands the outcome over first")
                .isEqualTo("ready".getBytes());

        assertThat(TaskClient.inCausalOrder(poll)).extracting(r -> new String(r.value()))
                .containsExactly("db starting", "db ready", "other starting", "ready");
    }

    private static ConsumerRecord<String, byte[]> record(String topic, int partition, String value) {
        return new ConsumerRecord<>(topic, partition, 0L, "t-1", value.getBytes());
    }
}
