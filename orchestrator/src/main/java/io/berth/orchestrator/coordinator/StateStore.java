package io.berth.orchestrator.coordinator;

import io.berth.orchestrator.state.StateRecord;
import io.berth.orchestrator.state.Task;
import io.berth.orchestrator.state.TaskSnapshot;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes tasks' snapshots to {@code berth.orchestrator-state} and remembers the writes Kafka has not acknowledged
 * yet, so that a partition is handed over only once its latest state is durable. Used on one Vert.x context.
 *
 * <p>Coalesced: {@link #save} marks the task changed and the snapshot is written once, {@link #COALESCE_WINDOW}
 * after the first change since the last write, instead of once per input. A task's inputs come in bursts — started,
 * placed, its services' starting and ready within tens of milliseconds; ended, its services' stopped and released as
 * quickly — and each snapshot carries the whole task, so a burst is one snapshot, and a task released within the
 * window is only its tombstone. Nothing waits on the window but the commit of the inputs' offsets: every {@code
 * save} completes only when a snapshot taken after it is acknowledged, so an input's offset is never committed
 * before the state it produced is durable (a crash in the window re-reads those inputs), and a handover writes at
 * once ({@link #settled}).
 */
public final class StateStore {
    private static final Logger LOG = LoggerFactory.getLogger(StateStore.class);
    /** How long changes gather before their snapshots are written: a task's burst of inputs (see above). */
    public static final Duration COALESCE_WINDOW = Duration.ofMillis(50);

    /** Where snapshots go: completes when the write is acknowledged; a null snapshot is the task's tombstone. */
    @FunctionalInterface
    public interface Sink {
        CompletionStage<?> write(String taskId, byte[] snapshot);
    }

    private final Context context;
    private final Sink sink;
    private final long windowMillis;
    private final Set<Future<?>> pending = new HashSet<>();
    /** Tasks changed since the last flush, in the order they first changed, with who waits for their snapshot. */
    private final Map<String, Changed> changed = new LinkedHashMap<>();
    private boolean flushScheduled;

    /** A changed task and the promise of its next snapshot's acknowledgement. */
    private static final class Changed {
        Task task;
        final Promise<Void> written = Promise.promise();

        Changed(Task task) {
            this.task = task;
        }
    }

    public StateStore(Context context, Sink sink) {
        this(context, sink, COALESCE_WINDOW);
    }

    /** @param window how long changes gather before they are written; zero: at the end of the context's turn */
    public StateStore(Context context, Sink sink, Duration window) {
        this.context = context;
        this.sink = sink;
        this.windowMillis = window.toMillis();
    }

    /**
     * Has the task's snapshot written at the end of the window (see the class comment); the future completes when
     * Kafka acknowledged a snapshot taken after this call.
     */
    Future<?> save(Task task) {
        Changed entry = changed.computeIfAbsent(task.taskId(), id -> new Changed(task));
        entry.task = task; // the task object of the latest call, should the id have been taken by a new one
        if (!flushScheduled) {
            flushScheduled = true;
            if (windowMillis > 0) {
                context.owner().setTimer(windowMillis, id -> context.runOnContext(v -> flush()));
            } else {
                context.runOnContext(v -> flush());
            }
        }
        return entry.written.future();
    }

    /** Writes the task's tombstone (it is forgotten); a snapshot not written yet is dropped, the tombstone wins. */
    Future<?> delete(String taskId) {
        Future<?> written = write(taskId, null);
        Changed entry = changed.remove(taskId);
        if (entry != null) {
            written.<Void>mapEmpty().onComplete(entry.written);
        }
        return written;
    }

    /** Writes the snapshot of every task changed since the last flush, one per task. */
    void flush() {
        flushScheduled = false;
        if (changed.isEmpty()) {
            return;
        }
        List<Changed> due = new ArrayList<>(changed.values());
        changed.clear();
        for (Changed entry : due) {
            Future<?> written;
            try {
                written = write(entry.task.taskId(), StateRecord.encode(TaskSnapshot.of(entry.task)));
            } catch (RuntimeException e) { // e.g. too large: the inputs that made it so fail, not the others' writes
                written = Future.failedFuture(e);
            }
            written.<Void>mapEmpty().onComplete(entry.written);
        }
    }

    /** Completes (never fails) once every snapshot saved so far was written and acknowledged, or failed. */
    Future<Void> settled() {
        flush();
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
