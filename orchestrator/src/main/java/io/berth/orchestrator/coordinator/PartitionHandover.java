package io.berth.orchestrator.coordinator;

import io.berth.orchestrator.ingress.KafkaIngress;
import io.berth.orchestrator.ingress.StateReader;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Restores the tasks of partitions assigned to this instance from {@code berth.orchestrator-state} and drops those of
 * revoked ones; called on the ingress thread, which waits for the coordinator (on its context) to be done.
 */
public final class PartitionHandover implements KafkaIngress.Partitions {
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);
    private static final long AWAIT_SECONDS = 30;

    private final StateReader reader;
    private final Context context;
    private final TaskCoordinator coordinator;

    public PartitionHandover(StateReader reader, Context context, TaskCoordinator coordinator) {
        this.reader = reader;
        this.context = context;
        this.coordinator = coordinator;
    }

    @Override
    public void assigned(Set<Integer> partitions, int partitionCount) {
        var snapshots = reader.read(partitions, READ_TIMEOUT).tasks();
        awaitOnContext(() -> {
            coordinator.restore(snapshots.values());
            coordinator.partitionsChanged(partitions, partitionCount, true);
            return Future.succeededFuture();
        });
    }

    @Override
    public void revoked(Set<Integer> partitions, int partitionCount) {
        if (partitionCount > 0) {
            awaitOnContext(() -> coordinator.forget(
                            taskId -> partitions.contains(StateReader.partitionOf(taskId, partitionCount)))
                    .onSuccess(v -> coordinator.partitionsChanged(partitions, partitionCount, false)));
        }
    }

    private void awaitOnContext(Supplier<Future<Void>> action) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        context.runOnContext(x -> {
            try {
                action.get().onComplete((v, e) -> {
                    if (e == null) {
                        done.complete(null);
                    } else {
                        done.completeExceptionally(e);
                    }
                });
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            }
        });
        try {
            done.get(AWAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("state handover failed: " + e, e);
        }
    }
}
