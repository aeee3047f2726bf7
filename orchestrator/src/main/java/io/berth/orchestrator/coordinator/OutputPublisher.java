package io.berth.orchestrator.coordinator;

import io.berth.events.EventTypes;
import io.berth.orchestrator.metrics.OrchestratorMetrics;
import io.berth.orchestrator.state.Effect;
import io.berth.orchestrator.state.Task;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes a task's {@code berth.task.services.*} events, retrying until Kafka takes each one: the state machine
 * already moved on, so a lost output would never be produced again. Also times the task's ready and release.
 * Used on one Vert.x context.
 */
public final class OutputPublisher {
    private static final Logger LOG = LoggerFactory.getLogger(OutputPublisher.class);
    static final long MAX_BACKOFF_MILLIS = 5_000;

    /** Where outputs go: completes when acknowledged. See {@code EventPublisher#publishTaskServices}. */
    @FunctionalInterface
    public interface Sink {
        CompletionStage<?> publish(String type, String taskId, String occurrence, Object payload);
    }

    private final Vertx vertx;
    private final Context context;
    private final Sink sink;
    private final OrchestratorMetrics metrics;
    private final long backoffMillis;
    private boolean stopped;

    public OutputPublisher(Vertx vertx, Context context, Sink sink, OrchestratorMetrics metrics) {
        this(vertx, context, sink, metrics, 250);
    }

    /** @param backoffMillis the pause after the first failed attempt; it grows by as much per attempt, up to 5 s */
    OutputPublisher(Vertx vertx, Context context, Sink sink, OrchestratorMetrics metrics, long backoffMillis) {
        this.vertx = vertx;
        this.context = context;
        this.sink = sink;
        this.metrics = metrics;
        this.backoffMillis = backoffMillis;
    }

    /** Publishes the output; completes once Kafka acknowledged it (fails only after {@link #stop()}). */
    Future<Void> publish(Task task, Effect.Publish publish) {
        if (EventTypes.TASK_SERVICES_READY.equals(publish.type()) && task.startedAtNanos() != 0) {
            metrics.taskReady(task.startedAtNanos());
        }
        if (EventTypes.TASK_SERVICES_RELEASED.equals(publish.type()) && task.endedAtNanos() != 0) {
            metrics.taskReleased(task.endedAtNanos());
        }
        task.record(new Task.TimelineEntry(System.currentTimeMillis(), publish.type(), null,
                Timeline.describe(publish.payload())));
        LOG.info("task {}: publishing {}", task.taskId(), publish.type());
        // the same for every publish of this output, whichever instance makes it: a repeat is a duplicate
        String occurrence = task.acceptedAtMillis() + "/" + task.generation();
        return publishUntilDone(task.taskId(), occurrence, publish, 1);
    }

    /** Stops retrying (shutdown): a publish still failing then fails. */
    void stop() {
        stopped = true;
    }

    private Future<Void> publishUntilDone(String taskId, String occurrence, Effect.Publish publish, int attempt) {
        // the producer itself retries for its delivery timeout first
        return Future.fromCompletionStage(sink.publish(publish.type(), taskId, occurrence, publish.payload()), context)
                .<Void>mapEmpty()
                .recover(error -> {
                    if (stopped) {
                        return Future.failedFuture(error);
                    }
                    LOG.warn("task {}: publishing {} failed (attempt {}): {}; retrying", taskId, publish.type(),
                            attempt, error.toString());
                    return vertx.timer(Math.min(MAX_BACKOFF_MILLIS, backoffMillis * attempt), TimeUnit.MILLISECONDS)
                            .compose(v -> publishUntilDone(taskId, occurrence, publish, attempt + 1));
                });
    }
}
