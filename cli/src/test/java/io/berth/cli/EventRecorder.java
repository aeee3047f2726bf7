package io.berth.cli;

import io.berth.events.Envelope;
import io.berth.events.EventCodec;
import io.berth.events.InvalidEventException;
import io.berth.events.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads every event of the task, service and task-services topics from the beginning, on its own thread, and notes when
 * each arrived (this JVM's wall clock), so a test can time what the orchestrator published against what it did.
 */
final class EventRecorder implements AutoCloseable {
    /**
     * An event, when the recorder read it ({@link System#currentTimeMillis()}), and the orchestrator instance that
     * published it (its {@code berthinstance} attribute; empty for others' events).
     */
    record Recorded(Envelope event, long receivedAtMillis, String instance) {}

    private final ConcurrentLinkedQueue<Recorded> events = new ConcurrentLinkedQueue<>();
    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    private final EventCodec codec = new EventCodec("berth://test/recorder");
    private volatile boolean closing;

    /** The topics must exist (an orchestrator creates them when it starts). */
    EventRecorder(String bootstrapServers) {
        var c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50);
        consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(Topics.TASK_EVENTS, Topics.TASK_SERVICES, Topics.SERVICE_EVENTS)) {
            consumer.partitionsFor(topic, Duration.ofSeconds(30))
                    .forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        thread = new Thread(this::run, "event-recorder");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            while (!closing) {
                for (var record : consumer.poll(Duration.ofMillis(200))) {
                    try {
                        Envelope event = codec.decode(record.value());
                        String instance = io.berth.events.json.Json.MAPPER.readTree(record.value())
                                .path(io.berth.orchestrator.OrchestratorSettings.INSTANCE_EXTENSION).asText("");
                        events.add(new Recorded(event, System.currentTimeMillis(), instance));
                    } catch (InvalidEventException | java.io.IOException e) {
                        // not an event: none of this test's business
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    /**
     * Every copy of the task's events of {@code type} — a type, or the start of types such as
     * {@code berth.task.services.} (every type ends in its version, so no type starts another).
     */
    long count(String task, String type) {
        return events.stream().filter(r -> is(r, task, type)).count();
    }

    /**
     * Distinct events (by CloudEvents source + id): a record published again, e.g. an output repeated after a
     * failover, is the same event, and consumers drop the copy.
     */
    long distinct(String task, String type) {
        return events.stream().filter(r -> is(r, task, type)).map(r -> r.event().source() + " " + r.event().id())
                .distinct().count();
    }

    List<Envelope> events(String task, String type) {
        return events.stream().filter(r -> is(r, task, type)).map(Recorded::event).toList();
    }

    /** The one event of this type about the task; fails the test when there is none or more. */
    Envelope only(String task, String type) {
        List<Envelope> matching = events(task, type);
        org.assertj.core.api.Assertions.assertThat(matching).as("%s of %s", type, task).hasSize(1);
        return matching.get(0);
    }

    /** The orchestrator instances that published events of this type. */
    java.util.Set<String> instances(String type) {
        var out = new java.util.TreeSet<String>();
        events.stream().filter(r -> r.event().type().startsWith(type)).forEach(r -> out.add(r.instance()));
        return out;
    }

    /** When the first such event arrived. */
    OptionalLong firstAt(String task, String type) {
        return events.stream().filter(r -> is(r, task, type)).mapToLong(Recorded::receivedAtMillis).min();
    }

    /** Every event about the task, in the order read: "HH:mm:ss.SSS type (source) data", for a failure's report. */
    List<String> timeline(String task) {
        var format = java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss.SSS")
                .withZone(java.time.ZoneId.systemDefault());
        return events.stream().filter(r -> task.equals(r.event().subject()))
                .map(r -> format.format(java.time.Instant.ofEpochMilli(r.receivedAtMillis())) + " "
                        + r.event().type().replace("berth.", "").replace(".v1", "") + " (" + r.event().source()
                        + ") " + abbreviate(String.valueOf(r.event().data())))
                .toList();
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "…";
    }

    private static boolean is(Recorded r, String task, String type) {
        return task.equals(r.event().subject()) && r.event().type().startsWith(type);
    }

    @Override
    public void close() throws InterruptedException {
        closing = true;
        consumer.wakeup();
        thread.join(5_000);
    }
}
