package io.berth.orchestrator;

import io.berth.events.Envelope;
import io.berth.events.EventCodec;
import io.berth.orchestrator.coordinator.AgentPort;
import io.berth.orchestrator.coordinator.Inbox;
import io.berth.orchestrator.coordinator.OutputPublisher;
import io.berth.orchestrator.coordinator.StateStore;
import io.berth.orchestrator.coordinator.TaskCoordinator;
import io.berth.orchestrator.gateway.AgentDirectory;
import io.berth.orchestrator.metrics.OrchestratorMetrics;
import io.berth.orchestrator.placement.PlacementChain;
import io.berth.orchestrator.placement.Placer;
import io.berth.orchestrator.publish.EventPublisher;
import io.berth.orchestrator.state.TaskInput;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * The parts that handle tasks, wired on the orchestrator's context: the producer, the directory of connected agents,
 * placement, and the coordinator with its executors (agent commands, outputs with retry, the state store). The
 * coordinator's housekeeping (evicting tasks past their retention) runs here too. Built once Kafka's topics exist;
 * the agent gateway and the Kafka ingress are put in front of it by {@link OrchestratorVerticle}.
 */
final class OrchestratorCore {
    final EventPublisher publisher;
    final AgentDirectory directory;
    final TaskCoordinator coordinator;
    private final Vertx vertx;
    private final Context context;
    private final long evictionTimer;
    private final Inbox inbox;

    OrchestratorCore(Vertx vertx, Context context, OrchestratorSettings settings, OrchestratorMetrics metrics) {
        this.vertx = vertx;
        this.context = context;
        OrchestratorSettings.Timeouts timeouts = settings.timeouts();
        String clientId = "berth-orchestrator-" + settings.instance();
        publisher = new EventPublisher(EventPublisher.producer(settings.kafka().bootstrapServers(), clientId),
                new EventCodec(settings.outputSource(),
                        Map.of(OrchestratorSettings.INSTANCE_EXTENSION, settings.instance())),
                metrics::eventOut);
        directory = new AgentDirectory(vertx, timeouts.agentLost().toMillis());
        Placer placer = new Placer(vertx, PlacementChain.standard(), timeouts.placementWait().toMillis());
        EventPublisher out = publisher;
        coordinator = new TaskCoordinator(vertx, placer, AgentPort.of(directory),
                new StateStore(context, out::publishState),
                new OutputPublisher(vertx, context, out::publishTaskServices, metrics),
                metrics, new TaskCoordinator.Deadlines(timeouts.stopTimeout(), timeouts.maxTaskLifetime(),
                        timeouts.taskRetention(), TaskCoordinator.UNKNOWN_TASK_GRACE));
        directory.addListener(coordinator);
        inbox = new Inbox(context, coordinator::accept);
        TaskCoordinator tasks = coordinator;
        evictionTimer = vertx.setPeriodic(Math.max(1_000, Math.min(60_000, timeouts.taskRetention().toMillis() / 2)),
                id -> tasks.evictOld());
    }

    /** The Kafka ingress's handler (called on the consumer's thread): the input is applied on this context. */
    CompletionStage<Void> accept(Envelope envelope, TaskInput input) {
        return inbox.accept(envelope, input);
    }

    /** Stops the housekeeping and the coordinator's timers and retries; the producer stays open for {@link #close}. */
    void stop() {
        vertx.cancelTimer(evictionTimer);
        coordinator.stop();
    }

    /** Closes the producer (blocking: it flushes what is in flight). */
    void close() {
        publisher.close();
    }
}
