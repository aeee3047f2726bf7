package io.berth.orchestrator.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.berth.events.EventTypes;
import io.berth.events.payload.TaskServicesReleased;
import io.berth.orchestrator.metrics.OrchestratorMetrics;
import io.berth.orchestrator.state.Effect;
import io.berth.orchestrator.state.Task;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OutputPublisherTest {
    private static final Effect.Publish RELEASED = new Effect.Publish(EventTypes.TASK_SERVICES_RELEASED,
            new TaskServicesReleased("t1", "w1", List.of()));

    private final Vertx vertx = Vertx.vertx();
    private final OnContext ctx = new OnContext(vertx.getOrCreateContext());
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<String> attempts = new CopyOnWriteArrayList<>();
    /** How many attempts fail before one succeeds. */
    private final AtomicInteger failures = new AtomicInteger();
    private final OutputPublisher publisher = new OutputPublisher(vertx, vertx.getOrCreateContext(),
            (type, taskId, occurrence, payload) -> {
                attempts.add(type + " " + taskId + " " + occurrence);
                return failures.getAndDecrement() > 0
                        ? CompletableFuture.failedFuture(new IllegalStateException("broker away"))
                        : CompletableFuture.completedFuture(null);
            }, new OrchestratorMetrics(registry), 10);

    @AfterEach
    void close() {
        vertx.close().await();
    }

    @Test
    void publish_sendsTheOutput_withTheSameOccurrenceWhoeverPublishesIt_andRecordsItInTheTimeline() {
        Task task = new Task("t1");
        task.acceptedAtMillis(1_000);

        Future<Void> done = ctx.call(() -> publisher.publish(task, RELEASED));

        await().atMost(Duration.ofSeconds(5)).until(done::succeeded);
        assertThat(attempts).containsExactly(EventTypes.TASK_SERVICES_RELEASED + " t1 1000/0");
        assertThat(ctx.call(task::timeline)).singleElement()
                .satisfies(e -> assertThat(e.detail()).isEqualTo("0 service(s) released"));
    }

    @Test
    void aFailedPublish_isRetriedUntilKafkaTakesIt() {
        failures.set(3);

        Future<Void> done = ctx.call(() -> publisher.publish(new Task("t1"), RELEASED));

        await().atMost(Duration.ofSeconds(5)).until(done::succeeded);
        assertThat(attempts).hasSize(4);
    }

    @Test
    void afterStop_aFailingPublishFailsInsteadOfRetrying() {
        failures.set(1_000);
        ctx.run(publisher::stop);

        Future<Void> done = ctx.call(() -> publisher.publish(new Task("t1"), RELEASED));

        await().atMost(Duration.ofSeconds(5)).until(done::failed);
        assertThat(attempts).hasSize(1);
    }

    @Test
    void released_timesTheReleaseFromTheTasksEnd() {
        Task task = new Task("t1");
        task.endedAtNanos(System.nanoTime());

        ctx.call(() -> publisher.publish(task, RELEASED));

        assertThat(registry.find("berth.task.release").timer().count()).isEqualTo(1);
        assertThat(registry.find("berth.task.ready").timer().count()).isZero();
    }
}
