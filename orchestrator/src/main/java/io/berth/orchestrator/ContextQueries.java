package io.berth.orchestrator;

import io.berth.orchestrator.coordinator.TaskCoordinator;
import io.berth.orchestrator.gateway.AgentDirectory;
import io.berth.orchestrator.gateway.WorkerInfo;
import io.berth.orchestrator.view.OrchestratorQueries;
import io.berth.orchestrator.view.Readiness;
import io.berth.orchestrator.view.TaskView;
import io.berth.protocol.FetchLogs;
import io.berth.protocol.LogChunk;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The queries of the admin API and of code that embeds an orchestrator, answered by the running orchestrator's parts
 * on their own context (the directory and the coordinator are confined to it). One instance lives as long as the
 * {@link Orchestrator}; each start attaches its parts, and until then (and after a stop) a query fails with
 * "orchestrator not started" and readiness says not ready.
 */
final class ContextQueries implements OrchestratorQueries {
    /** A started orchestrator's parts and where they live. */
    record Parts(Context context, AgentDirectory directory, TaskCoordinator coordinator,
                 Supplier<Readiness> readiness) {}

    private volatile Parts parts;

    void attach(Parts running) {
        this.parts = running;
    }

    void detach() {
        this.parts = null;
    }

    @Override
    public Readiness readiness() {
        Parts p = parts;
        return p == null ? new Readiness(false, false) : p.readiness().get();
    }

    @Override
    public Future<List<WorkerInfo>> workers() {
        return onContext(p -> p.directory().workers());
    }

    @Override
    public Future<Optional<TaskView>> task(String taskId) {
        return onContext(p -> p.coordinator().task(taskId).map(TaskView::of));
    }

    @Override
    public Future<List<TaskView>> tasks() {
        return onContext(p -> p.coordinator().tasks().stream().map(TaskView::of).toList());
    }

    @Override
    public Future<Boolean> drain(String worker, boolean draining) {
        return onContext(p -> p.directory().drain(worker, draining));
    }

    @Override
    public Future<Optional<TaskView>> forceRelease(String taskId, String why) {
        return onContext(p -> p.coordinator().forceRelease(taskId, why).map(TaskView::of));
    }

    @Override
    public Future<LogChunk> fetchLogs(String worker, FetchLogs request, long timeoutMillis) {
        return onContext(Parts::directory).compose(d -> d.fetchLogs(worker, request, timeoutMillis));
    }

    private <T> Future<T> onContext(Function<Parts, T> query) {
        Parts p = parts;
        if (p == null) {
            return Future.failedFuture(new IllegalStateException("orchestrator not started"));
        }
        Promise<T> promise = Promise.promise();
        p.context().runOnContext(x -> {
            try {
                promise.complete(query.apply(p));
            } catch (RuntimeException e) {
                promise.fail(e);
            }
        });
        return promise.future();
    }
}
