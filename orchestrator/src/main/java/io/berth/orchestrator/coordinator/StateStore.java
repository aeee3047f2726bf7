package io.berth.orchestrator.coordinator;

import io.berth.orchestrator.state.StateRecord;
import io.berth.orchestrator.state.Task;
import io.berth.orchestrator.state.TaskSnapshot;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes tasks' snapshots to {@code berth.orchestrator-state} and remembers the writes Kafka has not acknowledged
 * yet, so that a partition is handed over only once its latest state is durable. Used on one Vert.x context.
 */
public final class StateStore {
    private static final Logger LOG = LoggerFactory.getLogger(StateStore.class);

    /** Where snapshots go: completes when the write is acknowledged; a null snapshot is the task's tombstone. */
    @FunctionalInterface
    public interface Sink {
        CompletionStage<?> write(String taskId, byte[] snapshot);
    }

    private final Context context;
    private final Sink sink;
    private final Set<Future<?>> pending = new HashSet<>();

    public StateStore(Context context, Sink sink) {
        this.context = context;
        this.sink = sink;
    }

    /** Writes the task's snapshot as it is now; the future completes when Kafka acknowledged it. */
    Future<?> save(Task task) {
        return write(task.taskId(), StateRecord.encode(TaskSnapshot.of(task)));
    }

    /** Writes the task's tombstone (it is forgotten). */
    Future<?> delete(String taskId) {
        return write(taskId, null);
    }

    /** Completes (never fails) once every write made so far was acknowledged or failed. */
    Future<Void> settled() {
        return Future.join(new ArrayList<>(pending)).<Void>mapEmpty().otherwiseEmpty();
    }

    /** Writes not acknowledged yet. */
    int pending() {
        return pending.size();
    }

    private Future<?> write(String taskId, byte[] snapshot) {
        Future<?> written = Future.fromCompletionStage(sink.write(taskId, snapshot), context);
        pending.add(written);
        written.onComplete((v, e) -> {
            pending.remove(written);
            if (e != null) {
                LOG.warn("task {}: writing its state failed: {}", taskId, e.toString());
            }
        });
        return written;
    }
}
