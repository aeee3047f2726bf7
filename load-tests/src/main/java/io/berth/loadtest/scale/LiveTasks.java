package io.berth.loadtest.scale;

import io.berth.events.EventCodec;
import io.berth.events.EventTypes;
import io.berth.events.Topics;
import io.berth.events.payload.TaskEnded;
import io.berth.events.payload.TaskStarted;
import io.berth.loadtest.generator.Producers;
import io.berth.loadtest.generator.ServiceSource;
import io.berth.loadtest.generator.Workload;
import io.berth.loadtest.measure.OutputListener;
import io.berth.loadtest.measure.TaskTrace;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Tasks that stay alive until told: started at a steady rate, kept running (no {@code task.ended}) while the
 * orchestrators' memory and restore are measured, then ended together. Unlike the load generator's tasks they are
 * not ended after a hold.
 */
final class LiveTasks implements AutoCloseable {
    private final KafkaProducer<String, byte[]> producer;
    private final EventCodec codec = new EventCodec("berth://load-test/live/" + ProcessHandle.current().pid());
    private final OutputListener listener;
    private final List<TaskTrace> tasks = new ArrayList<>();
    private final String runId = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);

    LiveTasks(String bootstrapServers) {
        producer = new KafkaProducer<>(Producers.properties(bootstrapServers, "berth-load-test-live", 2));
        listener = new OutputListener(bootstrapServers, new OutputListener.Reactions() {
            @Override
            public void ready(TaskTrace task) {
            }

            @Override
            public void failed(TaskTrace task) {
            }
        });
        listener.start();
    }

    /** Publishes {@code count} task.started at {@code ratePerSecond}, each asking for {@code services} services. */
    void start(int count, double ratePerSecond, ServiceSource service, int services) {
        long period = Math.round(1e9 / ratePerSecond);
        long t0 = System.nanoTime();
        for (int i = 0; i < count; i++) {
            long due = t0 + i * period;
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            String taskId = "live-" + runId + "-" + i;
            TaskTrace task = new TaskTrace(taskId, due);
            byte[] event = codec.encode(EventTypes.TASK_STARTED, taskId,
                    new TaskStarted(taskId, null, null, service.requests(services, Workload.FIRST_PORT), Map.of()));
            listener.track(task);
            task.sent(System.nanoTime(), 0);
            tasks.add(task);
            producer.send(new ProducerRecord<>(Topics.TASK_EVENTS, taskId, event), (md, error) -> {
                if (error != null) {
                    task.failed("could not publish task.started: " + error);
                }
            });
        }
        producer.flush();
    }

    /** Waits until every task is ready (or failed); false when {@code timeout} passed first. */
    boolean awaitReady(Duration timeout) {
        return await(t -> t.isReady() || t.isFailed(), timeout);
    }

    /** Publishes task.ended for every task and waits until each is released; false on timeout. */
    boolean endAll(Duration timeout) {
        for (TaskTrace t : tasks) {
            t.beginEnding();
            byte[] event = codec.encode(EventTypes.TASK_ENDED, t.taskId(), new TaskEnded(t.taskId(), "succeeded"));
            t.ended(System.nanoTime(), 0);
            producer.send(new ProducerRecord<>(Topics.TASK_EVENTS, t.taskId(), event));
        }
        producer.flush();
        return await(TaskTrace::isReleased, timeout);
    }

    private boolean await(Predicate<TaskTrace> done, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (tasks.stream().allMatch(done)) {
                return true;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
        return false;
    }

    int count() {
        return tasks.size();
    }

    long failed() {
        return tasks.stream().filter(TaskTrace::isFailed).count();
    }

    long released() {
        return tasks.stream().filter(TaskTrace::isReleased).count();
    }

    /** A few of the tasks' errors, for the log. */
    List<String> errorSamples() {
        return tasks.stream().flatMap(t -> t.errors().stream()).distinct().limit(5).toList();
    }

    @Override
    public void close() {
        listener.close();
        producer.close(Duration.ofSeconds(5));
    }
}
