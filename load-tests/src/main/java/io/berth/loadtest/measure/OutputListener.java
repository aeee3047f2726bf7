package io.berth.loadtest.measure;

import io.berth.events.Envelope;
import io.berth.events.EventTypes;
import io.berth.events.Topics;
import io.berth.events.payload.ServiceExited;
import io.berth.events.payload.ServiceFailed;
import io.berth.events.payload.ServiceReady;
import io.berth.events.payload.ServiceStopped;
import io.berth.events.payload.TaskServicesFailed;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads Berth's answers — {@code berth.task-services}, {@code berth.service-events} and
 * {@code berth.dead-letter} — on its own thread and matches them to the generated tasks by record
 * key (the task id). Records of other tasks are ignored. Reads from the end of every partition as of
 * {@link #start()}, so nothing published after it is missed.
 */
public final class OutputListener implements AutoCloseable {
    /** What the generator wants to hear about, on the listener's thread. */
    public interface Reactions {
        void ready(TaskTrace task);

        void failed(TaskTrace task);
    }

    private final KafkaConsumer<String, byte[]> consumer;
    private final Map<String, TaskTrace> tasks = new ConcurrentHashMap<>();
    private final Reactions reactions;
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean closing;
    private boolean started;
    private volatile Consumer<Throwable> onCrash = e -> { };

    public OutputListener(String bootstrapServers, Reactions reactions) {
        this.reactions = reactions;
        var c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "berth-load-test");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // Kafka's default fetch wait (500 ms), as a CI platform would have it: a fetch returns the instant a record
        // arrives whatever the wait; a short one only adds empty fetches the broker has to answer (10 ms did: about
        // 100 a second, counted in Berth's broker CPU)
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        consumer = new KafkaConsumer<>(c);
        thread = new Thread(this::run, "load-test-listener");
        thread.setDaemon(true);
    }

    /** Assigns every partition of the output topics at their current end, then starts polling. */
    public void start() {
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(Topics.TASK_SERVICES, Topics.SERVICE_EVENTS, Topics.DEAD_LETTER)) {
            consumer.partitionsFor(topic, Duration.ofSeconds(30))
                    .forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
        started = true;
        thread.start();
    }

    /** Matches records keyed {@code task.taskId()} to {@code task} from now on. */
    public void track(TaskTrace task) {
        tasks.put(task.taskId(), task);
    }

    public void untrack(String taskId) {
        tasks.remove(taskId);
    }

    public void onCrash(Consumer<Throwable> handler) {
        onCrash = handler;
    }

    private void run() {
        try {
            while (!closing) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    TaskTrace task = record.key() == null ? null : tasks.get(record.key());
                    if (task != null) {
                        handle(record, task);
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            onCrash.accept(e);
        } finally {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
            stopped.countDown();
        }
    }

    private void handle(ConsumerRecord<String, byte[]> record, TaskTrace task) {
        long received = System.nanoTime();
        if (record.topic().equals(Topics.DEAD_LETTER)) {
            task.failed("dead-lettered by Berth: " + new String(record.value(), java.nio.charset.StandardCharsets.UTF_8));
            reactions.failed(task);
            return;
        }
        Envelope event = Events.read(record.value());
        if (event == null) {
            task.error("unreadable record on " + record.topic());
            return;
        }
        long at = Events.micros(event);
        switch (event.type()) {
            case EventTypes.SERVICE_READY -> {
                ServiceReady r = event.payload(ServiceReady.class);
                task.serviceReady(r.service(), r.generation(), r.startedAtMillis(), r.portOpenAtMillis(),
                        r.readyAtMillis(), at);
            }
            case EventTypes.TASK_SERVICES_READY -> {
                task.servicesReady(at, received);
                reactions.ready(task);
            }
            case EventTypes.SERVICE_FAILED -> {
                ServiceFailed f = event.payload(ServiceFailed.class);
                task.error("service " + f.service() + " failed: " + f.reason());
            }
            case EventTypes.SERVICE_EXITED -> {
                ServiceExited x = event.payload(ServiceExited.class);
                task.error("service " + x.service() + " exited by itself with code " + x.exitCode());
            }
            case EventTypes.TASK_SERVICES_FAILED -> {
                TaskServicesFailed f = event.payload(TaskServicesFailed.class);
                // the log's last lines say why (a sandbox's own failure is the launcher's line there)
                task.failed("services failed (" + f.service() + "): " + f.reason()
                        + (f.logTail().isEmpty() ? "" : "; log: " + String.join(" | ", f.logTail())));
                reactions.failed(task);
            }
            case EventTypes.SERVICE_STOPPED -> {
                ServiceStopped s = event.payload(ServiceStopped.class);
                task.serviceStopped(s.service(), s.signal(), s.durationMillis());
            }
            case EventTypes.TASK_SERVICES_RELEASED -> {
                task.released(at, received);
            }
            default -> { }
        }
    }

    @Override
    public void close() {
        closing = true;
        if (!started) {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
            return;
        }
        consumer.wakeup();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
