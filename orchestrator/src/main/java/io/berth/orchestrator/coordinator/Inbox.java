package io.berth.orchestrator.coordinator;

import io.berth.events.Envelope;
import io.berth.orchestrator.state.TaskInput;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Inputs handed over by the Kafka consumer's thread, applied on the coordinator's context. Inputs queued while the
 * context is busy are applied together in one turn of its event loop — so that a task's snapshot is written once for
 * all of them ({@link StateStore}) — and the consumer wakes the event loop once per turn, not once per record.
 */
public final class Inbox {
    /** At most this many inputs are applied in one turn of the event loop, which also serves agents. */
    static final int MAX_INPUTS_PER_TURN = 500;

    /** Applies one input on the context; the future completes when its effects that must be durable are. */
    @FunctionalInterface
    public interface Applier {
        Future<Void> apply(Envelope envelope, TaskInput input);
    }

    private final Context context;
    private final Applier applier;
    private final Queue<Arrival> arrivals = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean turnScheduled = new AtomicBoolean();

    /** An input waiting for the context, and who waits for its effects to be durable. */
    private record Arrival(Envelope envelope, TaskInput input, CompletableFuture<Void> done) {}

    public Inbox(Context context, Applier applier) {
        this.context = context;
        this.applier = applier;
    }

    /** Queues the input (any thread); completes when its effects that must be durable are, fails with its error. */
    public CompletionStage<Void> accept(Envelope envelope, TaskInput input) {
        Arrival arrival = new Arrival(envelope, input, new CompletableFuture<>());
        arrivals.add(arrival);
        scheduleTurn();
        return arrival.done();
    }

    private void scheduleTurn() {
        if (turnScheduled.compareAndSet(false, true)) {
            context.runOnContext(v -> applyQueued());
        }
    }

    private void applyQueued() {
        turnScheduled.set(false); // before polling: an input queued from now on schedules another turn
        for (int applied = 0; applied < MAX_INPUTS_PER_TURN; applied++) {
            Arrival a = arrivals.poll();
            if (a == null) {
                return;
            }
            CompletableFuture<Void> done = a.done();
            try {
                applier.apply(a.envelope(), a.input()).onComplete((ok, error) -> {
                    if (error == null) {
                        done.complete(null);
                    } else {
                        done.completeExceptionally(error);
                    }
                });
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            }
        }
        if (!arrivals.isEmpty()) {
            scheduleTurn(); // the rest in a later turn: agents and the admin API go in between
        }
    }
}
