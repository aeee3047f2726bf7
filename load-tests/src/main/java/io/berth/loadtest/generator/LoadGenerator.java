package io.berth.loadtest.generator;

import io.berth.events.EventCodec;
import io.berth.events.EventTypes;
import io.berth.events.Topics;
import io.berth.events.payload.NetworkSpec;
import io.berth.events.payload.TaskEnded;
import io.berth.events.payload.TaskStarted;
import io.berth.loadtest.measure.Events;
import io.berth.loadtest.measure.OutputListener;
import io.berth.loadtest.measure.TaskTrace;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Acts as a CI platform under load, in an open model: {@code task.started} events go out at a constant
 * arrival rate on a fixed schedule — task i at {@code start + i / rate}, whatever Berth answered so far —
 * so a slow Berth shows as latency and backlog instead of slowing the generator down. Each task runs
 * for {@link Workload#hold()} once its services are ready, then {@code task.ended} is published; a
 * task whose services failed is ended at once, as a CI platform would.
 */
public final class LoadGenerator implements AutoCloseable {
    /** One constant-rate phase of a run. */
    public record Step(String name, double ratePerSecond, Duration duration) {}

    /**
     * The tasks of one step and when it ran.
     *
     * @param overloadedAfterNanos when publishing stopped because Berth fell too far behind (see
     *                             {@link #maxBacklog}), counted from the step's start; -1 if it did not
     * @param unsent               tasks the schedule still had when publishing stopped
     */
    public record StepRun(Step step, List<TaskTrace> tasks, long startNanos, long lastSentNanos, long endNanos,
                          long overloadedAfterNanos, long unsent) {}

    private static final long START_DELAY_NANOS = 50_000_000;
    private static final long SWEEP_PERIOD_MILLIS = 50;

    private final Workload workload;
    private final KafkaProducer<String, byte[]> producer;
    private final EventCodec codec = new EventCodec("berth://load-test/" + ProcessHandle.current().pid());
    private final OutputListener listener;
    private final ScheduledExecutorService ender = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "load-test-ender");
        t.setDaemon(true);
        return t;
    });
    private final String runId = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
    private volatile RuntimeException listenerCrash;
    private long sequence;

    public LoadGenerator(String bootstrapServers, Workload workload) {
        this.workload = workload;
        producer = new KafkaProducer<>(Producers.properties(bootstrapServers, "berth-load-test", 0));
        listener = new OutputListener(bootstrapServers, new OutputListener.Reactions() {
            @Override
            public void ready(TaskTrace task) {
                ender.schedule(() -> end(task, "succeeded"), workload.hold().toNanos(), TimeUnit.NANOSECONDS);
            }

            @Override
            public void failed(TaskTrace task) {
                ender.execute(() -> end(task, "errored"));
            }
        });
        listener.onCrash(e -> listenerCrash = new IllegalStateException("the output listener stopped: " + e, e));
        listener.start();
    }

    public Workload workload() {
        return workload;
    }

    /**
     * Runs one step: publishes on schedule for its duration, then waits until every task it started
     * was released (or timed out, which is recorded as an error on the task).
     */
    public StepRun run(Step step) {
        long periodNanos = Math.round(1e9 / step.ratePerSecond());
        long durationNanos = step.duration().toNanos();
        long scheduled = (durationNanos + periodNanos - 1) / periodNanos;
        int maxBacklog = maxBacklog(step.ratePerSecond());
        List<TaskTrace> tasks = new ArrayList<>();
        long start = System.nanoTime() + START_DELAY_NANOS;
        long lastSent = start;
        long overloadedAfter = -1;
        for (long i = 0; i < scheduled; i++) {
            long due = start + i * periodNanos;
            parkUntil(due);
            tasks.add(startTask(step, due));
            lastSent = System.nanoTime();
            if ((i & 15) == 15 && sweepTimeouts(tasks) > maxBacklog) {
                overloadedAfter = lastSent - start;
                break;
            }
        }
        awaitReleased(tasks);
        return new StepRun(step, List.copyOf(tasks), start, lastSent, System.nanoTime(), overloadedAfter,
                scheduled - tasks.size());
    }

    /**
     * Tasks waiting for an answer beyond which a step stops publishing: three seconds' worth of arrivals
     * (at least 30). Past that point Berth is not keeping up, latency only measures the queue, and
     * draining it would stretch the run for minutes.
     */
    static int maxBacklog(double ratePerSecond) {
        return (int) Math.max(30, Math.round(3 * ratePerSecond));
    }

    private TaskTrace startTask(Step step, long due) {
        long seq = sequence++;
        String taskId = "load-" + runId + "-" + step.name() + "-" + seq;
        TaskTrace task = new TaskTrace(taskId, due);
        int firstPort = workload.hostNetwork()
                ? 20_000 + (int) ((seq * workload.servicesPerTask()) % 20_000)
                : Workload.FIRST_PORT;
        NetworkSpec network = workload.network() == null ? null : new NetworkSpec(workload.network(), null);
        var started = new TaskStarted(taskId, null, network,
                workload.service().requests(workload.servicesPerTask(), firstPort), Map.of());
        byte[] event = codec.encode(EventTypes.TASK_STARTED, taskId, started);
        listener.track(task);
        task.sent(System.nanoTime(), timeOf(event));
        producer.send(new ProducerRecord<>(Topics.TASK_EVENTS, taskId, event), (metadata, error) -> {
            if (error != null) {
                task.failed("could not publish task.started: " + error);
            }
        });
        return task;
    }

    /** Publishes {@code task.ended} once per task. */
    private void end(TaskTrace task, String outcome) {
        if (!task.beginEnding()) {
            return;
        }
        byte[] event = codec.encode(EventTypes.TASK_ENDED, task.taskId(), new TaskEnded(task.taskId(), outcome));
        task.ended(System.nanoTime(), timeOf(event));
        producer.send(new ProducerRecord<>(Topics.TASK_EVENTS, task.taskId(), event), (metadata, error) -> {
            if (error != null) {
                task.error("could not publish task.ended: " + error);
            }
        });
    }

    private void awaitReleased(List<TaskTrace> tasks) {
        while (true) {
            if (listenerCrash != null) {
                throw listenerCrash;
            }
            sweepTimeouts(tasks);
            long nowMicros = Events.micros(java.time.Instant.now());
            boolean done = true;
            for (TaskTrace t : tasks) {
                if (t.isSettled()) {
                    continue;
                }
                if (t.isEnded() && nowMicros - t.endedMicros() > workload.releaseTimeout().toNanos() / 1000) {
                    t.abandon("no task.services.released within " + workload.releaseTimeout().toMillis()
                            + " ms of task.ended");
                    continue;
                }
                done = false;
            }
            if (done) {
                // a service.stopped may be read after its task's released (another topic): listen a little longer
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(300));
                tasks.forEach(t -> listener.untrack(t.taskId()));
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(SWEEP_PERIOD_MILLIS));
        }
    }

    /**
     * Ends tasks that never got an answer, as a CI platform would after its own timeout.
     *
     * @return how many tasks still wait for an answer
     */
    private int sweepTimeouts(List<TaskTrace> tasks) {
        long now = System.nanoTime();
        int waiting = 0;
        for (TaskTrace t : tasks) {
            if (!t.isReady() && !t.isFailed() && !t.isEnded()) {
                if (now - t.sentNanos() > workload.readyTimeout().toNanos()) {
                    t.failed("no task.services.ready or failed within " + workload.readyTimeout().toMillis() + " ms");
                    ender.execute(() -> end(t, "aborted"));
                } else {
                    waiting++;
                }
            }
        }
        return waiting;
    }

    private static long timeOf(byte[] event) {
        var envelope = Events.read(event);
        return envelope == null ? -1 : Events.micros(envelope);
    }

    private static void parkUntil(long due) {
        long wait;
        while ((wait = due - System.nanoTime()) > 0) {
            LockSupport.parkNanos(wait);
        }
    }

    @Override
    public void close() {
        ender.shutdownNow();
        listener.close();
        producer.close(Duration.ofSeconds(5));
    }
}
